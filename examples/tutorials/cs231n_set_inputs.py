# CS231n's backprop notes (a blog copy), the chain rule: the inputs of
# f(x, y, z) = (x + y) * z, the block just before cs231n_first_example.py.
# Run: gradcli --verify -f examples/tutorials/cs231n_set_inputs.py -f examples/tutorials/cs231n_first_example.py
# set some inputs
x = -2; y = 5; z = -4
