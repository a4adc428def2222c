// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: the ReLU, thresholding at zero.
// The tutorial does not set a: given on the command line, a=1.5.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_relu.js a=1.5
var x = Math.max(a, 0)
// backprop through this gate will then be:
var da = a > 0 ? 1.0 * dx : 0.0;
