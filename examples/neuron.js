// Karpathy's single neuron, from "Hacker's guide to Neural Networks".
// Run: gradcli -f examples/neuron.js
// The tutorial prints: output 0.8808; gradients a -0.105, b 0.315, c 0.105, x 0.105, y 0.210.
var a = 1.0; var b = 2.0; var c = -3.0;
var x = -1.0; var y = 3.0;

// forward pass
var ax = a * x;            // a*x = -1
var by = b * y;            // b*y = 6
var axpby = ax + by;       // a*x + b*y = 5
var axpbypc = axpby + c;   // a*x + b*y + c = 2
var s = sig(axpbypc);      // sig(a*x + b*y + c) = 0.8808
