# Karpathy's neuron with Unit and Gate objects, as people port it to Python
import math

class Unit:
    def __init__(self, value, grad):
        self.value = value
        self.grad = grad

class MultGate(object):
    def forward(self, u0, u1):
        self.u0 = u0
        self.u1 = u1
        self.utop = Unit(u0.value * u1.value, 0.0)
        return self.utop
    def backward(self):
        self.u0.grad += self.u1.value * self.utop.grad
        self.u1.grad += self.u0.value * self.utop.grad

class AddGate(object):
    def forward(self, u0, u1):
        self.u0 = u0
        self.u1 = u1
        self.utop = Unit(u0.value + u1.value, 0.0)
        return self.utop
    def backward(self):
        self.u0.grad += 1 * self.utop.grad
        self.u1.grad += 1 * self.utop.grad

class SigmoidGate(object):
    def sigmoid(self, x):
        return 1 / (1 + math.exp(-x))
    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(self.sigmoid(self.u0.value), 0.0)
        return self.utop
    def backward(self):
        s = self.sigmoid(self.u0.value)
        self.u0.grad += (s * (1 - s)) * self.utop.grad

a = Unit(1.0, 0.0)
b = Unit(2.0, 0.0)
c = Unit(-3.0, 0.0)
x = Unit(-1.0, 0.0)
y = Unit(3.0, 0.0)

mulg0 = MultGate()
mulg1 = MultGate()
addg0 = AddGate()
addg1 = AddGate()
sg0 = SigmoidGate()

def forwardNeuron():
    ax = mulg0.forward(a, x)
    by = mulg1.forward(b, y)
    axpby = addg0.forward(ax, by)
    axpbypc = addg1.forward(axpby, c)
    return sg0.forward(axpbypc)

s = forwardNeuron()
print('circuit output:', s.value)  # 0.8808

s.grad = 1.0
sg0.backward()
addg1.backward()
addg0.backward()
mulg1.backward()
mulg0.backward()
print(a.grad, b.grad, c.grad, x.grad, y.grad)

step_size = 0.01
a.value += step_size * a.grad
b.value += step_size * b.grad
c.value += step_size * c.grad
x.value += step_size * x.grad
y.value += step_size * y.grad
s = forwardNeuron()
print('circuit output after one step:', s.value)  # 0.8825
