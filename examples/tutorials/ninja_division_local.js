// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: the local gradient of division.
// The tutorial does not set a: given on the command line, a=1.5.
// The backward line leaves out `* dx`: it is the local gradient alone, which is
// da as long as dx is the output's own gradient, 1.
// Run: gradcli --verify -f examples/tutorials/ninja_division_local.js a=1.5
var x = 1.0/a; // division
var da = -1.0/(a*a);
