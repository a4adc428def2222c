# CS231n's backprop notes (a blog copy), the chain rule: f(x, y, z) = (x + y) * z,
# forward pass and backward pass, with the notes' dfdx names. The copy lost the
# block's line breaks; they are restored, nothing else.
# The block does not set its inputs: the notes set them in the block before
# (cs231n_set_inputs.py), here given on the command line: x=-2 y=5 z=-4.
# The notes: q = 3, f = -12; the gradients on z, q, x, y are 3, -4, -4, -4.
# Run: gradcli --verify -f examples/tutorials/cs231n_first_example.py x=-2 y=5 z=-4
# perform the forward pass
q = x + y # q becomes 3
f = q * z # f becomes -12
# perform the backward pass (backpropagation) in reverse order:
# first backprop through f = q * z
dfdz = q # df/dz = q, so gradient on z becomes 3
dfdq = z # df/dq = z, so gradient on q becomes -4
# now backprop through q = x + y
dfdx = 1.0 * dfdq # dq/dx = 1. And the multiplication here is the chain rule!
dfdy = 1.0 * dfdq # dq/dy = 1
