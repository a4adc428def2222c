// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: the * gate.
// The tutorial does not set a and b: given on the command line, a=1.5 b=-2.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_mul_gate.js a=1.5 b=-2
var x = a * b;
// and given gradient on x (dx), we saw that in backprop we would compute:
var da = b * dx;
var db = a * dx;
