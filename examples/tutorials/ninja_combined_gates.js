// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: combining gates, x = a * b + c.
// The tutorial does not set a, b and c: given on the command line, a=1.5 b=-2 c=3.5.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_combined_gates.js a=1.5 b=-2 c=3.5
var x = a * b + c;
// given dx, backprop in-one-sweep would be =>
da = b * dx;
db = a * dx;
dc = 1.0 * dx;
