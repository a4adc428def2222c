// Karpathy, "Hacker's guide to Neural Networks", Becoming a Backprop Ninja: the neuron in two steps.
// The tutorial does not set the inputs: given on the command line, the guide's
// neuron of its earlier chapters, a=1 b=2 c=-3 x=-1 y=3 (f = 0.8808; gradients
// a -0.105, b 0.315, c 0.105, x 0.105, y 0.210). The block sets df = 1 itself.
// Run: gradcli --verify -f examples/tutorials/ninja_neuron.js a=1 b=2 c=-3 x=-1 y=3
// lets do our neuron in two steps:
var q = a*x + b*y + c;
var f = sig(q); // sig is the sigmoid function
// and now backward pass, we are given df, and:
var df = 1;
var dq = (f * (1 - f)) * df;
// and now we chain it to the inputs
var da = x * dq;
var dx = a * dq;
var dy = b * dq;
var db = y * dq;
var dc = 1.0 * dq;
