// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: the max gate, a switch.
// The tutorial does not set a and b: given on the command line, a=1.5 b=-2.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_max.js a=1.5 b=-2
var x = Math.max(a, b);
var da = a === x ? 1.0 * dx : 0.0;
var db = b === x ? 1.0 * dx : 0.0;
