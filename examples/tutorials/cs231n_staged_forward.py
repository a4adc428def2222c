# CS231n's backprop notes (a blog copy), staged backprop:
# f(x, y) = (x + sig(y)) / (sig(x) + (x + y)^2), the forward pass. The copy
# lost the block's line breaks; they are restored, nothing else.
# The notes set x = 3, y = -4 and print no results; gradcli gives f = 1.546,
# df/dx = 2.06, df/dy = 1.592 (the tests check them with sympy).
# Run: gradcli -f examples/tutorials/cs231n_staged_forward.py
x = 3 # example values
y = -4
# forward pass
sigy = 1.0 / (1 + math.exp(-y)) # sigmoid in numerator   #(1)
num = x + sigy # numerator                               #(2)
sigx = 1.0 / (1 + math.exp(-x)) # sigmoid in denominator #(3)
xpy = x + y                                              #(4)
xpysqr = xpy**2                                          #(5)
den = sigx + xpysqr # denominator                        #(6)
invden = 1.0 / den                                       #(7)
f = num * invden # done!                                 #(8)
