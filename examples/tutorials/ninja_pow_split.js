// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: Math.pow(((a * b + c) * d), 2), split into
// x1, x2 and backpropagated piece by piece.
// The tutorial does not set a, b, c and d: given on the command line, a=1.5 b=-2 c=3.5 d=0.8.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_pow_split.js a=1.5 b=-2 c=3.5 d=0.8
var x1 = a * b + c;
var x2 = x1 * d;
var x = x2 * x2; // this is identical to the above expression for x
// and now in backprop we go backwards:
var dx2 = 2 * x2 * dx; // backprop into x2
var dd = x1 * dx2; // backprop into d
var dx1 = d * dx2; // backprop into x1
var da = b * dx1;
var db = a * dx1;
var dc = 1.0 * dx1; // done!
