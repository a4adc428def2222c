// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: x = a*a + b*b + c*c.
// The tutorial does not set a, b and c: given on the command line, a=1.5 b=-2 c=3.5.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_sum_of_squares.js a=1.5 b=-2 c=3.5
var x = a*a + b*b + c*c;
// we get:
var da = 2*a*dx;
var db = 2*b*dx;
var dc = 2*c*dx;
