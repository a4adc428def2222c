// A learner's own gates in the tutorial's style: a tanh gate and a power
// gate, written as ES6 classes, in a circuit where x forks into two gates:
// f = tanh(x * y) + x^2. x's grad is the sum of what both backward calls add.
// Run: gradcli -f examples/gates/tanh_fork.js
class Unit {
  constructor(value, grad) {
    this.value = value;
    this.grad = grad;
  }
}

class multiplyGate {
  forward(u0, u1) {
    this.u0 = u0;
    this.u1 = u1;
    this.utop = new Unit(u0.value * u1.value, 0.0);
    return this.utop;
  }
  backward() {
    this.u0.grad += this.u1.value * this.utop.grad;
    this.u1.grad += this.u0.value * this.utop.grad;
  }
}

class addGate {
  forward(u0, u1) {
    this.u0 = u0;
    this.u1 = u1;
    this.utop = new Unit(u0.value + u1.value, 0.0);
    return this.utop;
  }
  backward() {
    this.u0.grad += 1 * this.utop.grad;
    this.u1.grad += 1 * this.utop.grad;
  }
}

class tanhGate {
  forward(u0) {
    this.u0 = u0;
    this.utop = new Unit(Math.tanh(u0.value), 0.0);
    return this.utop;
  }
  backward() {
    const t = this.utop.value;
    this.u0.grad += (1 - t * t) * this.utop.grad;
  }
}

class powGate {
  forward(u0, n) {
    this.u0 = u0;
    this.n = n;  // a number, not a Unit: no gradient for it
    this.utop = new Unit(Math.pow(u0.value, n), 0.0);
    return this.utop;
  }
  backward() {
    this.u0.grad += this.n * Math.pow(this.u0.value, this.n - 1) * this.utop.grad;
  }
}

const x = new Unit(0.5, 0.0);
const y = new Unit(-2.0, 0.0);

const mulg = new multiplyGate();
const tanhg = new tanhGate();
const powg = new powGate();
const addg = new addGate();

let xy = mulg.forward(x, y);      // x is read here ...
let t = tanhg.forward(xy);
let x2 = powg.forward(x, 2);      // ... and here: a fork
let f = addg.forward(t, x2);

f.grad = 1.0;
addg.backward();
powg.backward();   // x.grad += 2 * x * 1
tanhg.backward();
mulg.backward();   // x.grad += y * (1 - t^2): the second share
console.log(x.grad, y.grad);
