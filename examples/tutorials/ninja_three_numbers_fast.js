// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: adding three numbers, "much faster".
// The tutorial does not set a, b and c: given on the command line, a=1.5 b=-2 c=3.5.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_three_numbers_fast.js a=1.5 b=-2 c=3.5
var x = a + b + c;
var da = 1.0 * dx; var db = 1.0 * dx; var dc = 1.0 * dx;
