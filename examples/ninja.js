// "Becoming a backprop ninja" (Hacker's guide to Neural Networks): each bare
// expression below is one output, reported on its own, with its gradients.
// Run: gradcli -f examples/ninja.js
var a = 1.5; var b = -2; var c = 3; var d = 0.5;

a * b                          // da = b * dx, db = a * dx
a + b + c                      // da = db = dc = 1.0 * dx
a * b + c                      // da = b, db = a, dc = 1
a * a                          // da = 2 * a * dx: the wire forks, gradients add up
a*a + b*b + c*c                // da = 2*a, db = 2*b, dc = 2*c
Math.pow(((a * b + c) * d), 2) // dd = x1 * dx2, dx1 = d * dx2, with x2 = (a*b + c)*d
(a + b) / (c + d)              // da = db = 1/(c+d), dc = dd = -(a+b)/(c+d)^2
Math.max(a, b)                 // the max gate routes the gradient to the larger input
Math.max(a, 0)                 // ReLU: da = a > 0 ? 1.0 * dx : 0.0
