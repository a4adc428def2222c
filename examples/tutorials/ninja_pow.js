// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: a more complex expression, forward pass only
// (ninja_pow_split.js is the tutorial's backward pass of it).
// The tutorial does not set a, b, c and d: given on the command line, a=1.5 b=-2 c=3.5 d=0.8.
// Run: gradcli -f examples/tutorials/ninja_pow.js a=1.5 b=-2 c=3.5 d=0.8
var x = Math.pow(((a * b + c) * d), 2); // pow(x,2) squares the input JS
