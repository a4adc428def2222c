# CS231n's gradients for vectorized operations: D = W.dot(X), and the backward pass
# the notes write by hand, with dimension analysis (dW has W's shape, dX has X's).
# Run: gradcli --verify -f examples/cs231n_matmul.py    (every line is right: exit 0)
# forward pass
W = np.random.randn(5, 10)
X = np.random.randn(10, 3)
D = W.dot(X)

# now suppose we had the gradient on D from above in the circuit
dD = np.random.randn(*D.shape) # same shape as D
dW = dD.dot(X.T) #.T gives the transpose of the matrix
dX = W.T.dot(dD)
