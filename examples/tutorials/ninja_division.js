// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: division in practice, x = (a + b)/(c + d),
// decomposed into x1, x2, x3. x is assigned twice; the output is the second x
// ("equivalent to above").
// The tutorial does not set a, b, c and d: given on the command line, a=1.5 b=-2 c=3.5 d=0.8.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_division.js a=1.5 b=-2 c=3.5 d=0.8
var x = (a + b)/(c + d);
// lets decompose it in steps:
var x1 = a + b;
var x2 = c + d;
var x3 = 1.0 / x2;
var x = x1 * x3; // equivalent to above
// and now backprop, again in reverse order:
var dx1 = x3 * dx;
var dx3 = x1 * dx;
var dx2 = (-1.0/(x2*x2)) * dx3; // local gradient as shown above, and chain rule
var da = 1.0 * dx1; // and finally into the original variables
var db = 1.0 * dx1;
var dc = 1.0 * dx2;
var dd = 1.0 * dx2;
