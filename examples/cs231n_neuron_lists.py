# CS231n's 2-D neuron with lists, as the notes write it, backward pass and all.
# Run: gradcli -f examples/cs231n_neuron_lists.py
# The notes' numbers: f = 0.731, dx = [0.393, -0.590], dw = [-0.197, -0.393, 0.197].
w = [2,-3,-3] # assume some random weights and data
x = [-1, -2]

# forward pass
dot = w[0]*x[0] + w[1]*x[1] + w[2]
f = 1.0 / (1 + math.exp(-dot)) # sigmoid function

# backward pass through the neuron (backpropagation)
ddot = (1 - f) * f # gradient on dot variable, using the sigmoid gradient derivation
dx = [w[0] * ddot, w[1] * ddot] # backprop into x
dw = [x[0] * ddot, x[1] * ddot, 1.0 * ddot] # backprop into w
# we're done! we have the gradients on the inputs to the circuit
