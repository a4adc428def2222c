"""Code written with Unit and gate objects, as the Hacker's guide writes it,
read into a gradcli program.

A reader (pygates.py for Python, jsgates.py for JavaScript) turns the text
into the small tree of this module (classes, functions, assignments,
arithmetic, calls, `this.`/`self.` fields). `read_circuit` then walks that
tree the way the program would run, with numbers and objects of its own: the
code is never handed to Python or node. The walk keeps, for every Unit, its
value as an expression over the Units it was computed from; the Units made
before the first backward call are the forward pass, and become a flat
program (flat.py) with the program's own names, which graph.Builder builds
as it builds any other. What the walk saw is kept as a Circuit: which gate
object made each Unit and which gates read it, every backward call with the
gradients it read and wrote, and the step of gradient ascent at the end.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from . import ast as gast
from .errors import MathError, ParseError, ProgramError, Source
from .flat import Program, from_ast
from .ops import CONSTANTS, FUNCTIONS, HELPERS, OPS
from .syntax import NEGATE, WHERE

Span = tuple[int, int]

# --- The tree the readers produce ----------------------------------------------


@dataclass(slots=True)
class Num:
    value: float
    span: Span


@dataclass(slots=True)
class Str:
    span: Span


@dataclass(slots=True)
class Name:
    id: str
    span: Span


@dataclass(slots=True)
class This:
    span: Span


@dataclass(slots=True)
class Attr:
    obj: Any
    attr: str
    span: Span


@dataclass(slots=True)
class Call:
    func: Any
    args: list
    span: Span


@dataclass(slots=True)
class New:
    func: Any
    args: list
    span: Span


@dataclass(slots=True)
class Bin:
    op: str  # the op table's name (syntax.BINARY maps the symbol)
    left: Any
    right: Any
    span: Span


@dataclass(slots=True)
class Cond:
    """`a if test else b`, `test ? a : b`: the op `where`."""
    test: Any
    a: Any
    b: Any
    span: Span


@dataclass(slots=True)
class Unary:
    op: str | None  # None: unary plus
    x: Any
    span: Span


@dataclass(slots=True)
class Func:
    name: str | None
    params: list[str]
    body: list
    span: Span


@dataclass(slots=True)
class ObjectLit:
    items: list  # (key, expression)
    span: Span


@dataclass(slots=True)
class Assign:
    target: Any  # Name or Attr
    aug: str     # "" for =, "+" for += ...
    value: Any
    declare: bool
    span: Span


@dataclass(slots=True)
class ExprStmt:
    expr: Any
    span: Span


@dataclass(slots=True)
class Return:
    expr: Any
    span: Span


@dataclass(slots=True)
class ClassDef:
    name: str
    methods: dict  # name -> Func; the constructor is "constructor"
    span: Span


@dataclass(slots=True)
class Skipped:
    what: str  # "console.log", "print"
    span: Span


PRINTERS = ("console.log", "print")
PYTHON_BUILTINS = ("abs", "max", "min", "pow")  # Python's own functions that are ops
STEP_FIELDS = ("value", "grad")  # what makes an object a Unit

# --- What the walk records ------------------------------------------------------


class Obj:
    """An object of the program: a Unit, a gate, or another."""
    __slots__ = ("cls", "fields", "id", "span", "name", "name_span", "expr", "made_by", "made_field",
                 "read_by", "phase", "var", "x0")

    def __init__(self, cls: "Fn | None", span: Span, id: int):
        self.cls, self.span, self.id = cls, span, id
        self.fields: dict[str, Any] = {}
        self.name: str | None = None       # a Unit's name in the forward program; a gate's variable
        self.name_span: Span | None = None
        self.expr: Any = None              # a Unit's value, as built when it was made
        self.made_by: Obj | None = None    # the gate whose forward returned it
        self.made_field = ""               # the gate's field that holds it (utop)
        self.read_by: list[Obj] = []       # the gates whose forward it was passed to
        self.phase = ""
        self.var: str | None = None        # the variable a gate object was put in
        self.x0 = 0.0                      # a Unit's value when it was made

    @property
    def is_unit(self) -> bool:
        return all(f in self.fields for f in STEP_FIELDS)

    @property
    def class_name(self) -> str:
        return self.cls.name if self.cls is not None and self.cls.name else "object"

    @property
    def value(self) -> float:
        return self.fields["value"].x

    @property
    def grad(self) -> float:
        return self.fields["grad"].x

    def field_of(self, unit: "Obj") -> str | None:
        """The field of this gate that holds `unit` (u0, u1, utop), if any."""
        return next((k for k, v in self.fields.items() if v is unit), None)


@dataclass
class Write:
    """One write into a Unit's gradient in a backward method (or at top level)."""
    unit: Obj
    target: str        # as written: this.u0.grad
    aug: str           # "+" for +=, "" for =
    amount: float      # the right-hand side
    before: float
    after: float
    span: Span
    field: str | None  # the gate's field it wrote through (u0), None at top level


@dataclass
class Read:
    """A read of a Unit's gradient in a backward method."""
    unit: Obj
    target: str
    value: float
    span: Span


@dataclass
class ForwardCall:
    gate: Obj
    args: list          # the Units passed, in order
    out: Obj | None     # the Unit it returned
    span: Span
    method: Func
    fields: dict = field(default_factory=dict)  # the gate's fields right after the call

    def field_of(self, unit: Obj) -> str | None:
        """The gate's field that held `unit` after this call (u0, u1, utop)."""
        return next((k for k, v in self.fields.items() if v is unit), None)


@dataclass
class BackwardCall:
    gate: Obj
    span: Span
    method: Func
    writes: list[Write] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)
    forward: ForwardCall | None = None  # the gate's latest forward call before this
    top_grad: float = 0.0               # its output Unit's grad when the call began


@dataclass
class StepLine:
    unit: Obj
    size: float | None   # the step size, when the line is value += size * grad of the same Unit
    span: Span


@dataclass
class Circuit:
    """What read_circuit saw: the Units and gates of the forward pass, and
    the backward pass and the step as the program runs them."""
    source: Source
    language: str
    units: list[Obj]                    # made in the forward pass, in order
    inputs: list[Obj]
    output: Obj
    gates: list[Obj]
    forwards: list[ForwardCall]
    backwards: list[BackwardCall]
    grad_sets: list[Write]              # top-level writes into a gradient (s.grad = 1.0)
    steps: list[StepLine]
    step_size: float | None             # one size for every step line, if so
    after_step: float | None            # the output of the forward pass after the step
    reused: list[tuple[Obj, list[ForwardCall]]]  # gate objects whose forward ran twice in the forward pass
    classes: dict[str, "Fn"]
    skipped: list[Span]
    program: Program = field(default_factory=Program)
    notes: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)  # each input Unit's value, for the builder
    events: list = field(default_factory=list)  # grad sets and backward calls, in program order

    def line(self, span: Span) -> int:
        return self.source.where(span[0])[1]

    def text(self, span: Span) -> str:
        return " ".join(self.source.text[span[0]:span[1]].split())

    def unit_name(self, u: Obj) -> str:
        return u.name or "?"

    def gate_name(self, g: Obj) -> str:
        return g.var or g.class_name

    def forward_of(self, gate: Obj) -> ForwardCall | None:
        return next((f for f in reversed(self.forwards) if f.gate is gate), None)


# --- The walk -------------------------------------------------------------------


class Number:
    """A number of the program, and (in the forward pass) how it was computed:
    a symbol ("num", x, span), ("unit", Obj) or ("op", name, args, span, size),
    size counting the operations of the expression written out."""
    __slots__ = ("x", "sym")

    def __init__(self, x: float, sym: Any = None):
        self.x, self.sym = x, sym


class Text_:
    """A string: only printed, never computed with."""
    __slots__ = ()


class Module:
    """math / Math."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Fn:
    """A function, a class (Python, ES6) or a JavaScript constructor function
    with its prototype; `this` when bound to an object."""
    __slots__ = ("func", "closure", "name", "proto", "is_class", "this", "pure")

    def __init__(self, func: Func | None, closure: "Scope | None", name: str | None, is_class: bool = False):
        self.func, self.closure, self.name, self.is_class = func, closure, name, is_class
        self.proto: dict[str, Fn] = {}
        self.this: Obj | None = None
        self.pure: Any = False  # for helpers: the op they compute, once known (None: none)

    def bound(self, this: Obj) -> "Fn":
        f = Fn(self.func, self.closure, self.name, self.is_class)
        f.proto, f.this, f.pure = self.proto, this, self.pure
        return f


class Scope:
    __slots__ = ("vars", "parent")

    def __init__(self, parent: "Scope | None"):
        self.vars: dict[str, Any] = {}
        self.parent = parent

    def find(self, name: str) -> "Scope | None":
        s: Scope | None = self
        while s is not None:
            if name in s.vars:
                return s
            s = s.parent
        return None


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


MAX_DEPTH = 40          # calls within calls
MAX_WORK = 200_000      # expressions evaluated in all
# Python's math and JavaScript's Math constants beyond pi and e, read as their numbers
_OTHER_CONSTANTS = {"math": {"tau": math.tau},
                    "Math": {"LN2": 0.6931471805599453, "LN10": 2.302585092994046, "LOG2E": 1.4426950408889634,
                             "LOG10E": 0.4342944819032518, "SQRT2": 1.4142135623730951,
                             "SQRT1_2": 0.7071067811865476}}  # as JavaScript defines them
MAX_SIZE = 100_000      # operations in one Unit's value, written out
# Where helpers are tried against the op table: (sig(x) written out is sig).
_SAMPLES: dict[int, list[tuple[float, ...]]] = {1: [(-1.3,), (-0.4,), (0.3,), (0.9,), (2.1,)],
            2: [(0.7, 1.3), (1.9, 0.4), (2.5, 2.2), (0.35, 3.1)]}


class Walk:
    """Runs the tree with numbers and objects of its own."""

    def __init__(self, source: Source, language: str, bindings: Mapping[str, float]):
        self.source, self.language, self.bindings = source, language, bindings
        self.globals = Scope(None)
        self.phase = "forward"  # then backward, step, again
        self.depth = 0
        self.work = 0
        self.objects = 0
        self.units: list[Obj] = []
        self.forwards: list[ForwardCall] = []
        self.backwards: list[BackwardCall] = []
        self.grad_sets: list[Write] = []
        self.events: list = []
        self.steps: list[StepLine] = []
        self.skipped: list[Span] = []
        self.constructing: list[Obj] = []
        self.backward: BackwardCall | None = None
        self.classes: dict[str, Fn] = {}
        self.declared: list[tuple[Fn, Span]] = []  # classes and constructor functions, with their text
        self.instances: dict[int, list[Obj]] = {}  # id of a class -> its objects
        self.gates: list[Obj] = []
        self.after_phase = ""

    @property
    def new(self) -> str:
        """How the program's language makes an object, for hints: new Unit(...) or Unit(...)."""
        return "" if self.language == "python" else "new "

    # errors
    def error(self, message: str, span: Span | None, hint: str = "") -> ProgramError:
        return ProgramError(message, span=span, source=self.source, hint=hint)

    # statements
    def run(self, body: list) -> None:
        self.block(body, self.globals, None)

    def block(self, body: list, scope: Scope, this: Obj | None) -> None:
        for st in body:
            self.statement(st, scope, this)

    def statement(self, st: Any, scope: Scope, this: Obj | None) -> None:
        if isinstance(st, Skipped):
            self.skipped.append(st.span)
        elif isinstance(st, ClassDef):
            cls = Fn(st.methods.get("constructor"), scope, st.name, is_class=True)
            for name, m in st.methods.items():
                if name != "constructor":
                    cls.proto[name] = Fn(m, scope, name)
            scope.vars[st.name] = cls
            self.classes[st.name] = cls
            self.declared.append((cls, st.span))
        elif isinstance(st, Assign):
            self.assign(st, scope, this)
        elif isinstance(st, ExprStmt):
            self.expr(st.expr, scope, this)
        elif isinstance(st, Return):
            raise _Return(None if st.expr is None else self.expr(st.expr, scope, this))
        else:  # the readers give nothing else
            raise self.error("gradcli cannot read this statement", getattr(st, "span", None))

    def assign(self, st: Assign, scope: Scope, this: Obj | None) -> None:
        target = st.target
        value = self.expr(st.value, scope, this)
        if isinstance(target, Name):
            if st.aug:
                old = self.lookup(target, scope)
                value = self.binary(COMPOUND_OPS[st.aug], old, value, st.span, target.span, st.value.span)
            if st.declare:
                home = scope
            else:
                home = scope.find(target.id) or self.globals
            home.vars[target.id] = value
            if isinstance(value, Fn) and value.name is None:
                value.name = target.id
            if isinstance(value, Obj):
                self.named(value, target.id, target.span, scope)
            elif isinstance(value, Number) and self.phase == "forward" and home is self.globals \
                    and target.id in self.bindings and not st.aug:
                home.vars[target.id] = Number(self.bindings[target.id], value.sym)
            return
        if not isinstance(target, Attr):
            raise self.error("gradcli cannot assign to this", st.span)
        obj = self.expr(target.obj, scope, this)
        if isinstance(obj, Fn) and target.attr == "prototype":  # F.prototype = {...}
            if not isinstance(value, dict):
                raise self.error("a prototype must be an object of methods", st.value.span)
            for k, v in value.items():
                if isinstance(v, Fn):
                    if v.name is None:
                        v.name = k
                    obj.proto[k] = v
            return
        if isinstance(obj, Attr_Proto):  # F.prototype.m = function ...
            if isinstance(value, Fn):
                obj.fn.proto[target.attr] = value
                if value.name is None:
                    value.name = target.attr
            return
        if not isinstance(obj, Obj):
            raise self.error("%s is not an object, so it has no field %s" % (self.text(target.obj.span), target.attr),
                             target.span)
        if st.aug:
            old = obj.fields.get(target.attr)
            if old is None:
                raise self.error("%s has no field %s yet, so %s= has nothing to add to"
                                 % (self.text(target.obj.span), target.attr, st.aug), target.span)
            new = self.binary(COMPOUND_OPS[st.aug], old, value, st.span, target.span, st.value.span)
        else:
            new = value
        building = obj in self.constructing
        if obj.is_unit and target.attr in STEP_FIELDS and not building:
            self.unit_write(obj, target, st, value, old_value=obj.fields[target.attr], new=new, scope=scope)
            obj.fields[target.attr] = new
            return
        obj.fields[target.attr] = new
        if obj.is_unit and not building and obj.phase == "forward" and self.phase == "forward":
            self.made_late(obj, st, scope)  # this write made it a Unit: w.init(5) sets value and grad

    def made_late(self, obj: Obj, st: Assign, scope: Scope) -> None:
        """An object that became a Unit when its value and grad were set, after
        it was made: an input of the circuit, like one made with new Unit."""
        v = obj.fields["value"]
        if not isinstance(v, Number) or not isinstance(obj.fields["grad"], Number):
            raise self.error("a Unit's value and grad must be numbers", st.span,
                             hint="make Units with %sUnit(value, grad), both numbers" % self.new)
        obj.expr = v.sym if v.sym is not None else ("num", v.x, st.span)
        obj.x0 = v.x
        self.units.append(obj)
        if obj.var is not None:  # the variable it was put in before it was a Unit
            self.named(obj, obj.var, obj.span, scope)

    def unit_write(self, unit: Obj, target: Attr, st: Assign, value: Any, old_value: Any, new: Any,
                   scope: Scope) -> None:
        if not isinstance(new, Number) or not isinstance(value, Number):
            raise self.error("a Unit's %s must be a number" % target.attr, st.value.span)
        if not isinstance(old_value, Number):  # an object that took value and grad one at a time
            raise self.error("%s holds something that is not a number before this line; a Unit's value and grad "
                             "must be numbers" % self.text(target.span), target.span,
                             hint="make Units with %sUnit(value, grad), both numbers" % self.new)
        if target.attr == "grad":
            if self.phase == "forward":
                self.phase = "backward"
            if self.phase != "backward":
                return
            field_ = None
            if self.backward is not None and isinstance(target.obj, Attr) and isinstance(target.obj.obj, This):
                field_ = target.obj.attr
            w = Write(unit, self.text(target.span), st.aug, value.x, old_value.x, new.x, st.span, field_)
            if self.backward is not None:
                self.backward.writes.append(w)
            else:
                self.grad_sets.append(w)
                self.events.append(w)
            return
        # the value: a step of gradient ascent, once the gradients are in
        if self.phase == "backward":
            self.phase = "step"
        if self.phase == "step":
            self.steps.append(StepLine(unit, self.step_size(unit, st, scope), st.span))
        elif self.phase == "forward":
            raise self.error("%s changes a Unit's value in the forward pass; gradcli reads a value "
                             "a Unit is made with" % self.text(target.span), st.span,
                             hint="make a new Unit instead, as the gates do: %sUnit(value, 0.0)" % self.new)

    def step_size(self, unit: Obj, st: Assign, scope: Scope) -> float | None:
        """k when the line is `unit.value += k * unit.grad` (or grad * k, or -=)."""
        if st.aug not in ("+", "-") or not isinstance(st.value, Bin) or st.value.op != "mul":
            return None
        for grad, other in ((st.value.right, st.value.left), (st.value.left, st.value.right)):
            if isinstance(grad, Attr) and grad.attr == "grad":
                try:
                    owner = self.expr(grad.obj, scope, None)
                    k = self.expr(other, scope, None)
                except ProgramError:
                    return None
                if owner is unit and isinstance(k, Number):
                    return k.x if st.aug == "+" else -k.x
        return None

    def named(self, obj: Obj, name: str, span: Span, scope: Scope) -> None:
        if obj.is_unit and obj.phase == "forward" and obj.name is None:
            taken = {u.name for u in self.units}
            unique, k = name, 1
            while unique in taken:
                k += 1
                unique = "%s_%d" % (name, k)
            obj.name, obj.name_span = unique, span
            if obj.made_by is None and name in self.bindings and _constant(obj.expr):
                x = self.bindings[name]
                obj.fields["value"] = Number(x, obj.fields["value"].sym)
                obj.x0 = x
        elif not obj.is_unit and obj.var is None:
            obj.var = name

    def lookup(self, n: Name, scope: Scope) -> Any:
        s = scope.find(n.id)
        if s is not None:
            return s.vars[n.id]
        if n.id in ("Math", "math"):
            return Module(n.id)
        if self.language == "python" and n.id in PYTHON_BUILTINS:
            return FUNCTIONS[n.id]
        raise self.error("%s is not defined" % n.id, n.span,
                         hint="define it before this line, or bind it on the command line")

    # expressions
    def expr(self, e: Any, scope: Scope, this: Obj | None) -> Any:
        self.work += 1
        if self.work > MAX_WORK:
            raise self.error("the program does more than %d steps of work; gradcli reads circuits "
                             "of a few gates" % MAX_WORK, e.span)
        if isinstance(e, Num):
            return Number(e.value, ("num", e.value, e.span))
        if isinstance(e, Name):
            return self.lookup(e, scope)
        if isinstance(e, This):
            if this is None:
                raise self.error("%s outside a method" % self.text(e.span), e.span)
            return this
        if isinstance(e, Str):
            return Text_()
        if isinstance(e, Bin):
            a = self.expr(e.left, scope, this)
            b = self.expr(e.right, scope, this)
            return self.binary(e.op, a, b, e.span, e.left.span, e.right.span)
        if isinstance(e, Cond):
            return self.conditional(e, scope, this)
        if isinstance(e, Unary):
            a = self.expr(e.x, scope, this)
            if not isinstance(a, Number):
                raise self.error("%s is not a number" % self.text(e.x.span), e.x.span)
            if e.op is None:
                return a
            return self.apply(e.op, [a], e.span, [e.x.span])
        if isinstance(e, Attr):
            return self.attribute(e, scope, this)
        if isinstance(e, Func):
            return Fn(e, scope, e.name)
        if isinstance(e, ObjectLit):
            return {k: self.expr(v, scope, this) for k, v in e.items}
        if isinstance(e, New):
            f = self.expr(e.func, scope, this)
            args = [self.expr(a, scope, this) for a in e.args]
            if not isinstance(f, Fn):
                raise self.error("%s is not a class or constructor" % self.text(e.func.span), e.func.span)
            return self.construct(f, args, e)
        if isinstance(e, Call):
            return self.call(e, scope, this)
        raise self.error("gradcli cannot read this expression", e.span)

    def conditional(self, e: Cond, scope: Scope, this: Obj | None) -> Number:
        """Both values, as gradcli's `where` has them (the chosen one must be
        computable; the other may fail, as where's unchosen branch may)."""
        test = self.expr(e.test, scope, this)
        if not isinstance(test, Number):
            raise self.error("%s is not a number" % self.text(e.test.span), e.test.span)
        chosen, other = (e.a, e.b) if test.x != 0.0 else (e.b, e.a)
        picked = self.expr(chosen, scope, this)
        if not isinstance(picked, Number):
            raise self.error("%s is not a number" % self.text(chosen.span), chosen.span)
        try:
            rest = self.expr(other, scope, this)
        except MathError:
            rest = picked
        if not isinstance(rest, Number):
            raise self.error("%s is not a number" % self.text(other.span), other.span)
        a, b = (picked, rest) if test.x != 0.0 else (rest, picked)
        spans = [e.test.span, e.a.span, e.b.span]
        syms = [v.sym if v.sym is not None else ("num", v.x, sp) for v, sp in zip((test, a, b), spans)]
        return Number(picked.x, self.op_sym(WHERE, syms, e.span))

    def attribute(self, e: Attr, scope: Scope, this: Obj | None) -> Any:
        obj = self.expr(e.obj, scope, this)
        if isinstance(obj, Module):
            more = _OTHER_CONSTANTS.get(obj.name, {})
            if e.attr in CONSTANTS or e.attr in more:
                x = CONSTANTS[e.attr] if e.attr in CONSTANTS else more[e.attr]
                return Number(x, ("num", x, e.span))
            if e.attr in FUNCTIONS:
                return FUNCTIONS[e.attr]
            if e.attr in HELPERS and callable(HELPERS[e.attr].value):  # math.log1p: a number, no gradcli op
                return MathHelper(e.attr)
            if e.attr in ("inf", "nan", "Infinity", "NaN", "MAX_VALUE", "MIN_VALUE", "EPSILON"):
                raise self.error("%s.%s is not a value a Unit can take here" % (obj.name, e.attr), e.span,
                                 hint="gradcli computes with finite numbers; write the number the circuit needs")
            raise self.error("%s.%s is not a function gradcli knows" % (obj.name, e.attr), e.span,
                             hint="the functions: " + ", ".join(sorted(FUNCTIONS)))
        if isinstance(obj, Fn) and e.attr == "prototype":
            return Attr_Proto(obj)
        if isinstance(obj, Obj):
            if e.attr in obj.fields:
                v = obj.fields[e.attr]
                if e.attr == "value" and obj.is_unit and obj.phase == "forward" and self.phase == "forward" \
                        and isinstance(v, Number) and obj not in self.constructing:
                    return Number(v.x, ("unit", obj))
                if e.attr == "grad" and obj.is_unit and self.backward is not None and isinstance(v, Number):
                    self.backward.reads.append(Read(obj, self.text(e.span), v.x, e.span))
                return v
            if obj.cls is not None and e.attr in obj.cls.proto:
                return obj.cls.proto[e.attr].bound(obj)
            raise self.error("%s has no field %s" % (self.text(e.obj.span), e.attr), e.span,
                             hint=self.fields_hint(obj))
        if isinstance(obj, dict):  # var g = {forward: ..., backward: ...}
            raise self.error("%s is an object literal; gradcli reads gate objects made with new"
                             % self.text(e.obj.span), e.span, hint="write a constructor and its prototype: var G = function() { }; "
                             "G.prototype = {forward: ..., backward: ...}; then var g = new G();")
        raise self.error("%s is not an object, so it has no field %s" % (self.text(e.obj.span), e.attr), e.span)

    def fields_hint(self, obj: Obj) -> str:
        names = sorted(obj.fields) + sorted(obj.cls.proto if obj.cls else ())
        if not names:
            return "it has no fields yet: a gate's fields are set by its forward"
        return "%s (a %s) has %s" % (obj.name or obj.var or "it", obj.class_name, ", ".join(names))

    def binary(self, op: str, a: Any, b: Any, span: Span, sa: Span, sb: Span) -> Number:
        for v, s in ((a, sa), (b, sb)):
            if not isinstance(v, Number):
                what = "text" if isinstance(v, Text_) else "an object" if isinstance(v, Obj) else "not a number"
                raise self.error("%s is %s, and gradcli computes with numbers" % (self.text(s), what), s,
                                 hint="a Unit's number is its .value (or .grad)")
        return self.apply(op, [a, b], span, [sa, sb])

    def apply(self, op: str, args: list[Number], span: Span, spans: list[Span]) -> Number:
        record = OPS[op]
        n = len(args)
        if n < record.arity or (n > record.arity and not record.variadic):
            raise self.error("%s takes %d argument%s, not %d" % (op, record.arity, "" if record.arity == 1 else "s", n),
                             span)
        xs = [a.x for a in args]
        failed: Exception | None = None
        try:
            x = float(record.functions(n)[0](*xs))
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            x, failed = math.nan, e
        if not math.isfinite(x):  # the reasons the engine gives
            reason = record.failure(failed, *xs) if all(map(math.isfinite, xs)) else "it is not a finite number"
            raise MathError("%s: %s" % (self.text(span), reason), span=span, source=self.source)
        syms = [a.sym if a.sym is not None else ("num", a.x, s) for a, s in zip(args, spans)]
        return Number(x, self.op_sym(op, syms, span))

    def op_sym(self, op: str, syms: list, span: Span) -> tuple:
        """("op", ...), refused when the expression written out would pass MAX_SIZE operations
        (a helper that uses its argument twice, called within itself, doubles it each time)."""
        size = 1 + sum(s[4] if s[0] == "op" else 1 for s in syms)
        if size > MAX_SIZE:
            raise self.error("this value is an expression of more than %d operations written out; gradcli "
                             "reads circuits of a few gates" % MAX_SIZE, span,
                             hint="write the big computation in gradcli's own language")
        return ("op", op, syms, span, size)

    def call(self, e: Call, scope: Scope, this: Obj | None) -> Any:
        f = self.expr(e.func, scope, this)
        args = [self.expr(a, scope, this) for a in e.args]
        spans = [a.span for a in e.args]
        if hasattr(f, "functions") and hasattr(f, "arity"):  # an op: Math.exp
            for v, s in zip(args, spans):
                if not isinstance(v, Number):
                    raise self.error("%s is not a number" % self.text(s), s)
            return self.apply(f.name, args, e.span, spans)
        if isinstance(f, MathHelper):
            xs = []
            for v, sp in zip(args, spans):
                if not isinstance(v, Number):
                    raise self.error("%s is not a number" % self.text(sp), sp)
                xs.append(v.x)
            try:
                x = float(HELPERS[f.name].value(*xs))  # type: ignore[operator]
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                x = math.nan
            if not math.isfinite(x):
                raise MathError("%s: not a finite number" % self.text(e.span), span=e.span, source=self.source)
            return Number(x, ("helper", f.name, e.span))
        if not isinstance(f, Fn):
            raise self.error("%s is not a function" % self.text(e.func.span), e.func.span)
        if f.is_class:
            return self.construct(f, args, e)
        method = f.name if f.this is not None else None
        gate = f.this
        if gate is not None and method == "forward" and self.is_gate(gate):
            return self.forward_call(f, gate, args, e)
        if gate is not None and method == "backward" and self.is_gate(gate):
            return self.backward_call(f, gate, args, e)
        if all(isinstance(a, Number) for a in args) and args:
            op = self.helper_op(f, len(args))
            if op is not None:
                result = self.invoke(f, args, e.span, gate)
                if isinstance(result, Number):
                    syms = [a.sym if a.sym is not None else ("num", a.x, s) for a, s in zip(args, spans)]
                    return Number(result.x, self.op_sym(op, syms, e.span))
                return result
        try:
            return self.invoke(f, args, e.span, gate)
        except ProgramError as err:  # Unit(1.0, 0.0) for new Unit(1.0, 0.0): `this` in its own body
            body = f.func.span if f.func is not None else (0, 0)
            if gate is None and err.message.endswith("outside a method") and err.span is not None \
                    and body[0] <= err.span[0] < body[1]:
                raise self.error("%s is called without new, so this in its body is no object"
                                 % self.text(e.func.span), e.span,
                                 hint="make objects with new, as in new %s" % self.text(e.span)) from None
            raise

    def is_gate(self, obj: Obj) -> bool:
        return obj.cls is not None and "forward" in obj.cls.proto and "backward" in obj.cls.proto

    def forward_call(self, f: Fn, gate: Obj, args: list, e: Call) -> Any:
        if self.phase == "step":
            self.phase = "again"
        if gate not in self.gates:
            self.gates.append(gate)
        made_before = len(self.units)
        out = self.invoke(f, args, e.span, gate)
        if self.phase == "forward":
            units = [a for a in args if isinstance(a, Obj) and a.is_unit]
            assert f.func is not None
            call = ForwardCall(gate, units, out if isinstance(out, Obj) and out.is_unit else None, e.span, f.func,
                               dict(gate.fields))
            self.forwards.append(call)
            for u in units:
                if gate not in u.read_by:
                    u.read_by.append(gate)
            # the gate made its output here; a Unit it hands back that was made before (its own
            # input, returned as it came) stays what it was
            if call.out is not None and call.out.made_by is None and call.out.phase == "forward" \
                    and call.out in self.units[made_before:]:
                call.out.made_by = gate
                call.out.made_field = gate.field_of(call.out) or ""
        return out

    def backward_call(self, f: Fn, gate: Obj, args: list, e: Call) -> Any:
        if self.phase == "forward":
            self.phase = "backward"
        if self.phase != "backward":
            return self.invoke(f, args, e.span, gate)
        if self.backward is not None:
            raise self.error("a backward method calls another gate's backward; gradcli reads the "
                             "backward calls one after another, as the tutorial makes them", e.span)
        assert f.func is not None
        call = BackwardCall(gate, e.span, f.func, forward=next(
            (c for c in reversed(self.forwards) if c.gate is gate), None))
        if call.forward is not None and call.forward.out is not None:
            call.top_grad = call.forward.out.grad
        self.backwards.append(call)
        self.events.append(call)
        if call.forward is None:  # nothing to backpropagate: gatecheck says so
            return None
        self.backward = call
        try:
            return self.invoke(f, args, e.span, gate)
        finally:
            self.backward = None

    def construct(self, f: Fn, args: list, e: Any) -> Obj:
        self.objects += 1
        obj = Obj(f, e.span, self.objects)
        self.instances.setdefault(id(f), []).append(obj)
        if not f.is_class and all(c is not f for c, _ in self.declared) and f.func is not None:
            self.declared.append((f, f.func.span))  # a constructor function, known by its use with new
        obj.phase = self.phase
        self.constructing.append(obj)
        try:
            if f.func is not None:
                self.invoke(f.bound(obj), args, e.span, obj)
        finally:
            self.constructing.remove(obj)
        if obj.is_unit:
            if not isinstance(obj.fields["value"], Number) or not isinstance(obj.fields["grad"], Number):
                missing = [k for k in STEP_FIELDS if obj.fields[k] is None]  # a parameter given no argument
                raise self.error("a Unit's value and grad must be numbers%s"
                                 % (": %s has none" % " and ".join(missing) if missing else ""), e.span,
                                 hint="give both as numbers, as in %sUnit(1.0, 0.0)" % self.new)
            if obj.phase == "forward":
                v = obj.fields["value"]
                obj.expr = v.sym if v.sym is not None else ("num", v.x, e.span)
                obj.x0 = v.x
                self.units.append(obj)
        return obj

    def invoke(self, f: Fn, args: list, span: Span, this: Obj | None) -> Any:
        func = f.func
        if func is None:
            return None
        if len(args) > len(func.params):
            raise self.error("%s takes %d argument%s, not %d" % (f.name or "the function", len(func.params),
                                                                 "" if len(func.params) == 1 else "s", len(args)),
                             span)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("calls go more than %d deep (a function that calls itself?)" % MAX_DEPTH, span)
        scope = Scope(f.closure)
        for k, p in enumerate(func.params):
            scope.vars[p] = args[k] if k < len(args) else None
        try:
            self.block(func.body, scope, f.this if f.this is not None else this)
        except _Return as r:
            return r.value
        finally:
            self.depth -= 1
        return None

    def helper_op(self, f: Fn, n: int) -> str | None:
        """The op of the table a helper such as sig(x) computes, tried at a few
        points; None if it is none of them (its arithmetic is then kept)."""
        if f.pure is not False:
            return f.pure
        f.pure = None
        func = f.func
        if func is None or n not in _SAMPLES or len(func.params) != n or not _pure(func.body):
            return None
        saved = (self.phase, self.work)
        try:
            results = []
            for point in _SAMPLES[n]:
                r = self.invoke(f, [Number(x) for x in point], func.span, f.this)
                if not isinstance(r, Number):
                    return None
                results.append(r.x)
        except (ProgramError, MathError):
            return None
        finally:
            self.phase, self.work = saved
        for op in OPS.values():
            if op.arity != n or op.variadic or not op.called:
                continue
            try:
                want = [op.functions(n)[0](*p) for p in _SAMPLES[n]]
            except (ValueError, ZeroDivisionError, OverflowError):
                continue
            if all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) for a, b in zip(results, want)):
                f.pure = op.name
                return op.name
        return None

    def text(self, span: Span) -> str:
        return " ".join(self.source.text[span[0]:span[1]].split())


class MathHelper:
    """math.log1p and the like: a number to compute with, but no op of gradcli's."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Attr_Proto:
    """F.prototype, as the target of F.prototype.m = function ..."""
    __slots__ = ("fn",)

    def __init__(self, fn: Fn):
        self.fn = fn


COMPOUND_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


def _pure(body: list) -> bool:
    """Declarations and a return: nothing written to an object."""
    for st in body:
        if isinstance(st, Assign) and not isinstance(st.target, Name):
            return False
        if isinstance(st, Assign) and st.declare is False:
            return False  # a global assigned
        if not isinstance(st, (Assign, Return)):
            return False
    return True


# --- From the walk to the program ----------------------------------------------


def read_circuit(tree: list, source: Source, language: str, bindings: Mapping[str, float]) -> Circuit:
    """Walk the tree; the Circuit, with its forward pass as a flat program."""
    w = Walk(source, language, bindings)
    try:
        w.run(tree)
    except _Return as r:  # a return at top level
        del r
    except RecursionError:
        raise ProgramError("the program nests too deeply for gradcli to read", source=source) from None
    for cls, span in w.declared:
        made = w.instances.get(id(cls), [])
        if "forward" in cls.proto and "backward" in cls.proto:
            continue
        if any(o.is_unit for o in made) or (not made and _makes_unit(cls.func)):
            continue
        eol = source.text.find("\n", span[0])
        raise refuse(source, "the class %s, neither a Unit (value and grad) nor a gate (forward and backward),"
                     % (cls.name or "?"), (span[0], min(span[1], eol if eol >= 0 else span[1])),
                     hint="a gate class needs both a forward and a backward method; leave other classes out")
    units = w.units
    if not units:
        raise ProgramError("the program makes no Unit (an object with a value and a grad)", source=source,
                           span=(0, 0), hint="make the circuit's inputs as Units: a = %sUnit(1.0, 0.0)" % w.new)
    _name_units(w)
    inputs = [u for u in units if u.made_by is None and _constant(u.expr)]
    output = _output(w)
    reused = []
    for gate in w.gates:
        calls = [f for f in w.forwards if f.gate is gate]
        if len(calls) > 1:
            reused.append((gate, calls))
    sizes = {s.size for s in w.steps}
    step_size = next(iter(sizes)) if len(sizes) == 1 and None not in sizes else None
    after = None
    if w.steps and output.made_by is not None:
        now = output.made_by.fields.get(output.made_field)
        if isinstance(now, Obj) and now is not output and now.is_unit:
            after = now.value
    c = Circuit(source, language, units, inputs, output, [g for g in w.gates if any(f.gate is g for f in w.forwards)],
                w.forwards, w.backwards, w.grad_sets, w.steps, step_size, after, reused, w.classes, w.skipped,
                events=w.events)
    c.program = _program(c)
    c.values = {u.name or "?": u.x0 for u in inputs}
    if w.skipped:
        lines = sorted({c.line(s) for s in w.skipped})
        c.notes.append("%s skipped (line%s %s): gradcli shows the numbers itself"
                       % (" and ".join(dict.fromkeys(source.text[s[0]:s[1]].split("(")[0].strip()
                                                     for s in w.skipped)),
                          "" if len(lines) == 1 else "s", _ranges(lines)))
    return c


def _makes_unit(func: Func | None) -> bool:
    """Whether a constructor sets this.value and this.grad."""
    if func is None:
        return False
    set_ = {st.target.attr for st in func.body if isinstance(st, Assign) and isinstance(st.target, Attr)
            and isinstance(st.target.obj, This)}
    return all(f in set_ for f in STEP_FIELDS)


def passive(c: Circuit) -> set[int]:
    """The Units (by id) a gate made that have no gradient of their own in the
    graph: computed from numbers alone, or passed through unchanged (max of one
    Unit is that Unit). Units are in forward order, so one pass finds them."""
    live: set[int] = {u.id for u in c.inputs}
    out: set[int] = set()
    for u in c.units:
        if u.made_by is None:
            continue
        refs, stack = [], [u.expr]
        while stack:
            s = stack.pop()
            if s[0] == "unit":
                refs.append(s[1])
            elif s[0] == "op":
                stack.extend(s[2])
        if u.expr[0] == "unit" or not any(r.id in live for r in refs):
            out.add(u.id)
        if any(r.id in live for r in refs):
            live.add(u.id)
    return out


def _ranges(lines: Sequence[int]) -> str:
    out: list[str] = []
    k = 0
    while k < len(lines):
        j = k
        while j + 1 < len(lines) and lines[j + 1] == lines[j] + 1:
            j += 1
        out.append(str(lines[k]) if j == k else "%d-%d" % (lines[k], lines[j]))
        k = j + 1
    return ", ".join(out)


def _constant(sym: Any) -> bool:
    stack = [sym]
    while stack:
        s = stack.pop()
        if s[0] == "unit":
            return False
        if s[0] == "op":
            stack.extend(s[2])
    return True


def _name_units(w: Walk) -> None:
    """Units no variable holds are named after the gate field that does (sg0_utop)."""
    taken = {u.name for u in w.units if u.name}
    k = 0
    for u in w.units:
        if u.name:
            continue
        if u.made_by is not None and u.made_by.var:
            base = "%s_%s" % (u.made_by.var, u.made_field or "out")
        else:
            k += 1
            base = "unit%d" % k
        name, j = base, 1
        while name in taken:
            j += 1
            name = "%s_%d" % (base, j)
        u.name = name
        taken.add(name)


def _output(w: Walk) -> Obj:
    """The Unit whose gradient the program sets first (s.grad = 1.0); else the
    last Unit of the forward pass that no gate reads."""
    for s in w.grad_sets:
        if s.unit.phase == "forward" and s.unit in w.units:
            return s.unit
    unread = [u for u in w.units if not u.read_by]
    return unread[-1] if unread else w.units[-1]


def _program(c: Circuit) -> Program:
    """The forward pass as gradcli statements: `ax = a * x`, ..., then the output. The
    inputs are no statements: their values are bindings (c.values), since a statement
    `a = 1` is an input only where the text itself says so."""
    stmts: list[gast.Stmt] = []
    # A gate's output computed from numbers alone is a constant where it is read, as it
    # is in gradcli's own graph (as a statement `t = 1` it would be read as an input).
    fixed = _written_sizes(c, constant_units(c))
    inputs = {u.id for u in c.inputs}
    for u in c.units:
        if u.id in fixed or u.id in inputs:  # an input: its value comes with the bindings (c.values)
            continue
        span = u.name_span or u.span
        expr = _to_ast(u.expr, u, c.source, fixed)
        stmts.append(gast.Assign(u.name or "?", expr, "", span))
    o = c.output
    out = _to_ast(o.expr, o, c.source, fixed) if o.id in fixed else gast.Name(o.name or "?", o.name_span or o.span)
    stmts.append(gast.Output(out, o.name_span or o.span))
    return from_ast(stmts)


def constant_units(c: Circuit) -> set[int]:
    """The Units (by id) a gate computed from numbers alone, in forward order."""
    out: set[int] = set()
    for u in c.units:
        if u.made_by is None:
            continue
        stack, constant = [u.expr], True
        while stack and constant:
            s = stack.pop()
            if s[0] == "unit":
                constant = s[1].id in out
            elif s[0] == "op":
                stack.extend(s[2])
        if constant:
            out.add(u.id)
    return out


# A constant Unit written out in more operations than this is read as its
# number: squaring a constant 30 times would write out 2^30 operations.
INLINE_MOST = 1_000


def _written_sizes(c: Circuit, fixed: set[int]) -> dict[int, int]:
    """The constant Units (by id, forward order) and the operations each one's
    value takes written out, the constant Units it reads inlined."""
    sizes: dict[int, int] = {}
    for u in c.units:
        if u.id not in fixed:
            continue
        n, stack = 0, [u.expr]
        while stack:
            s = stack.pop()
            if s[0] == "op":
                n += 1
                stack.extend(s[2])
            else:
                n += sizes.get(s[1].id, 1) if s[0] == "unit" else 1
        sizes[u.id] = n
    return sizes


def _to_ast(sym: Any, owner: Obj, source: Source, inline: dict[int, int] | None = None) -> gast.Expr:
    """A symbol as gradcli's syntax records (post-order, with a stack); the
    Units in `inline` (id -> size written out) are written out, or where
    that takes more than INLINE_MOST operations, read as their numbers."""
    inline = inline or {}
    out: list[gast.Expr] = []
    stack: list[tuple[Any, bool]] = [(sym, False)]
    while stack:
        s, ready = stack.pop()
        if s[0] == "num":
            out.append(gast.Num(s[1], s[2]))
        elif s[0] == "helper":
            raise ProgramError("%s is not one of gradcli's functions, so a Unit's value cannot be computed "
                               "with it" % s[1], span=s[2], source=source,
                               hint="write it with gradcli's functions: " + ", ".join(sorted(FUNCTIONS)))
        elif s[0] == "unit" and s[1].id in inline:
            if inline[s[1].id] > INLINE_MOST:
                out.append(gast.Num(s[1].x0, s[1].name_span or s[1].span))
            else:
                stack.append((s[1].expr, False))
        elif s[0] == "unit":
            u = s[1]
            out.append(gast.Name(u.name or "?", u.name_span or u.span))
        elif ready:
            n = len(s[2])
            args = tuple(out[-n:])
            del out[-n:]
            out.append(gast.Apply(s[1], args, s[3]))
        else:
            stack.append((s, True))
            stack.extend((a, False) for a in reversed(s[2]))
    expr = out[0]
    if owner.made_by is None and _constant(owner.expr) and not isinstance(expr, gast.Num):
        # an input made from arithmetic on numbers (new Unit(2 * 3, 0.0)): its number;
        # a signed number (-3.0) stays as written, which the builder reads as one
        if not (isinstance(expr, gast.Apply) and expr.op == NEGATE and isinstance(expr.args[0], gast.Num)):
            expr = gast.Num(owner.x0, _span(expr))
    return expr


def _span(e: gast.Expr) -> Span:
    return e.span


def number(source: Source, value: float | int, text: str, span: Span) -> Num:
    """A number literal of pasted code; too large for double precision, an
    error, as in gradcli's own language (a float above 1.8e308 is inf, an
    int cannot be converted at all)."""
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if math.isinf(x):
        raise ProgramError("the number %s is too large for double precision" % _short_number(text), span=span,
                           source=source, hint="numbers must be below about 1.8e308")
    return Num(x, span)


def _short_number(text: str) -> str:
    if len(text) <= 24:
        return text
    digits = len(text) - (2 if text[:2].lower() in ("0x", "0o", "0b") else 0)
    return "%s...%s (%d digits)" % (text[:10], text[-6:], digits)


def refuse(source: Source, what: str, span: Span, hint: str = "") -> ParseError:
    """The error for a construct outside the Unit-and-gate code gradcli reads."""
    return ParseError("%s is outside the Unit-and-gate code gradcli reads" % what, span=span, source=source,
                      hint=hint or "gradcli reads classes (or constructor functions and prototypes), methods, "
                                   "this./self. fields, var/let/const, arithmetic, Math./math. functions and "
                                   "plain functions; write the circuit out gate by gate")
