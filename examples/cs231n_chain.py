# CS231n's first circuit: f(x, y, z) = (x + y) * z
# The notes: q = 3, f = -12; df/dz = q = 3, df/dq = z = -4, df/dx = df/dy = -4.
x = -2; y = 5; z = -4
q = x + y # q becomes 3
f = q * z # f becomes -12
