# CS231n's 2-D neuron: f(w, x) = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))
# The notes: dot = 1, f = 0.731; dx = [w0*ddot, w1*ddot] = [0.393, -0.590],
# dw = [x0*ddot, x1*ddot, ddot] = [-0.197, -0.393, 0.197] with ddot = (1 - f) * f = 0.197.
w0 = 2; w1 = -3; w2 = -3 # some weights
x0 = -1; x1 = -2         # and data
dot = w0*x0 + w1*x1 + w2
f = 1.0 / (1 + math.exp(-dot)) # sigmoid function
