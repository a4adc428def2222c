// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: a wire that forks, x = a * a.
// The forward line is the tutorial's block before this one, `var x = a * a;`,
// whose second line, `var da = //???`, is the question this block answers.
// The tutorial does not set a: given on the command line, a=1.5.
// dx, the gradient "given" from above, is the output x's own: gradcli starts it at 1.
// Run: gradcli --verify -f examples/tutorials/ninja_fork.js a=1.5
var x = a * a;
var da = a * dx; // gradient into a from first branch
da += a * dx; // and add on the gradient from the second branch

// short form instead is:
var da = 2 * a * dx;
