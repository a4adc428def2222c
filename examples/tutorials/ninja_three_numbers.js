// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: adding three numbers, in two steps.
// The tutorial does not set a, b and c: given on the command line, a=1.5 b=-2 c=3.5.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_three_numbers.js a=1.5 b=-2 c=3.5
// lets compute x = a + b + c in two steps:
var q = a + b; // gate 1
var x = q + c; // gate 2

// backward pass:
dc = 1.0 * dx; // backprop gate 2
dq = 1.0 * dx; 
da = 1.0 * dq; // backprop gate 1
db = 1.0 * dq;
