/*
 * unitensor._speedups: the Tensor's fast paths in C.
 *
 * An optional accelerator, in the way of MarkupSafe's: the same fast paths
 * exist in pure Python (unitensor/_tensor.py, unitensor/_namespace.py), and
 * unitensor runs without this module (UNITENSOR_PURE_PYTHON=1, or a machine
 * without a C compiler). Every fast path here mirrors one there and hands
 * anything it does not cover, errors included, to the same Python slow path,
 * so the two give the same results.
 *
 * What is here:
 *   Core      - the base type of unitensor.Tensor: the _raw, _backend and
 *               _node slots, the operators (+, <, -x, ...) and t[key];
 *   Function  - one array API function (ut.exp, ut.where, ...): a fast path
 *               for plain Tensors, else its Python implementation;
 *   wrap      - wrap(raw, backend): a new Tensor without checks.
 *
 * A fast path applies to exact unitensor.Tensor instances (never to a
 * subclass such as the autodiff tape's Traced, which must see every call) of
 * a backend whose flags allow it; it calls the framework's own operator or the
 * backend's function and wraps the result. Flags are read once per backend
 * (Python's fast_flags()); the standard_promotion flag, which JAX computes at
 * run time, is read on each call whose dtypes differ.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* -- module state (set once by configure()) -------------------------------- */

static PyTypeObject *tensor_type;  /* unitensor.Tensor */
static PyTypeObject *dtype_type;   /* unitensor.DType */
static PyObject *slow_binary;      /* (name, self, other, reflected) -> result */
static PyObject *slow_unary;       /* (name, self) -> result */
static PyObject *slow_getitem;     /* (self, key) -> result */
static PyObject *fast_flags;       /* (backend) -> (flags, functions, to_native) */
static PyObject *backend_info;     /* backend -> what fast_flags returned */

static PyObject *str_dtype, *str_standard_promotion, *str_getitem, *str_copy, *str_device;
static PyObject *kwnames_copy;  /* ("copy",) */

enum {
    FAST_BINARY = 1,       /* operators may call the framework's operator on two Tensors */
    FAST_SCALARS = 2,      /* ... and on a Tensor and a Python int or float */
    FAST_GETITEM = 4,      /* t[int | slice | None | ... | tuple of those] indexes the native array */
    PLAIN_DTYPES = 8,      /* backend.native_dtype(d) is backend._to_native[d] */
    PROMOTION_KNOWN = 16,  /* standard_promotion is a constant (not computed on each call) ... */
    PROMOTES = 32,         /* ... and is True */
    ONE_DEVICE = 64,       /* one device here: an index Tensor of this backend is on the indexed one's */
    PLAIN_GETITEM = 128,   /* backend.getitem(raw, key) is raw[key] */
    NATIVE_DEVICES = 256,  /* a.device == b.device says whether two native arrays share a device */
};

typedef struct {
    long flags;
    PyObject *functions;  /* borrowed: backend._functions */
    PyObject *to_native;  /* borrowed: backend._to_native */
} BackendInfo;

/* The cached flags of `backend`; -1 with an exception on failure. */
static int
get_info(PyObject *backend, BackendInfo *info)
{
    PyObject *entry = PyDict_GetItemWithError(backend_info, backend);
    if (entry == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        entry = PyObject_CallOneArg(fast_flags, backend);
        if (entry == NULL) {
            return -1;
        }
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3 ||
            !PyDict_CheckExact(PyTuple_GET_ITEM(entry, 1)) || !PyDict_CheckExact(PyTuple_GET_ITEM(entry, 2))) {
            Py_DECREF(entry);
            PyErr_SetString(PyExc_TypeError, "fast_flags() must return (int, dict, dict)");
            return -1;
        }
        int failed = PyDict_SetItem(backend_info, backend, entry);
        Py_DECREF(entry);  /* the dict holds it now */
        if (failed) {
            return -1;
        }
    }
    info->flags = PyLong_AsLong(PyTuple_GET_ITEM(entry, 0));
    info->functions = PyTuple_GET_ITEM(entry, 1);
    info->to_native = PyTuple_GET_ITEM(entry, 2);
    return info->flags == -1 && PyErr_Occurred() ? -1 : 0;
}

/* -- Core: the Tensor's storage ---------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *raw;
    PyObject *backend;
    PyObject *node;
    PyObject *weakreflist;
} CoreObject;

#define RAW(t) (((CoreObject *)(t))->raw)
#define BACKEND(t) (((CoreObject *)(t))->backend)
#define IS_TENSOR(x) (Py_TYPE(x) == tensor_type)

/* A new Tensor holding `raw` (a new reference, stolen) of `backend`; NULL if raw is NULL. */
static PyObject *
new_tensor(PyObject *raw, PyObject *backend)
{
    if (raw == NULL) {
        return NULL;
    }
    CoreObject *out = (CoreObject *)tensor_type->tp_alloc(tensor_type, 0);
    if (out == NULL) {
        Py_DECREF(raw);
        return NULL;
    }
    out->raw = raw;
    Py_INCREF(backend);
    out->backend = backend;
    return (PyObject *)out;
}

static int
core_traverse(CoreObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->raw);
    Py_VISIT(self->backend);
    Py_VISIT(self->node);
    return 0;
}

static int
core_clear(CoreObject *self)
{
    Py_CLEAR(self->raw);
    Py_CLEAR(self->backend);
    Py_CLEAR(self->node);
    return 0;
}

static void
core_dealloc(CoreObject *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    core_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Whether the framework may combine `a` and `b` directly: equal dtypes, or a framework that promotes as
 * the standard does. 1 yes, 0 no (errors cleared: the slow path will meet them again). */
static int
promotes_directly(PyObject *backend, long flags, PyObject *a, PyObject *b)
{
    if ((flags & PROMOTION_KNOWN) && (flags & PROMOTES)) {
        return 1;
    }
    PyObject *da = PyObject_GetAttr(a, str_dtype);
    if (da == NULL) {
        PyErr_Clear();
        return 0;
    }
    PyObject *db = PyObject_GetAttr(b, str_dtype);
    Py_DECREF(da);  /* identity is all that is compared; the arrays keep their dtypes alive */
    if (db == NULL) {
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(db);
    if (da == db) {
        return 1;
    }
    if (flags & PROMOTION_KNOWN) {
        return 0;
    }
    PyObject *promotes = PyObject_GetAttr(backend, str_standard_promotion);
    if (promotes == NULL) {
        PyErr_Clear();
        return 0;
    }
    int yes = PyObject_IsTrue(promotes);
    Py_DECREF(promotes);
    if (yes < 0) {
        PyErr_Clear();
        return 0;
    }
    return yes;
}

/* -- operators ---------------------------------------------------------------- */

typedef PyObject *(*binaryfunc_t)(PyObject *, PyObject *);

static PyObject *
power2(PyObject *a, PyObject *b)
{
    return PyNumber_Power(a, b, Py_None);
}

/* `left OP right` as Python calls it: the Tensor among them is `self`, reflected when it is on the right */
static PyObject *
binary_operator(const char *name, binaryfunc_t op, PyObject *left, PyObject *right)
{
    int reflected = !PyObject_TypeCheck(left, tensor_type);
    PyObject *self = reflected ? right : left;
    PyObject *other = reflected ? left : right;
    if (IS_TENSOR(self)) {
        PyObject *backend = BACKEND(self);
        BackendInfo info;
        if (get_info(backend, &info) < 0) {
            return NULL;
        }
        PyObject *raw = NULL;
        int tried = 0;
        if (!reflected && IS_TENSOR(other)) {
            if (BACKEND(other) == backend && (info.flags & FAST_BINARY) &&
                promotes_directly(backend, info.flags, RAW(self), RAW(other))) {
                raw = op(RAW(self), RAW(other));
                tried = 1;
            }
        }
        /* scalar ** Tensor takes the slow path: JAX would promote the Python int strongly (int64) */
        else if ((PyLong_CheckExact(other) || PyFloat_CheckExact(other)) && (info.flags & FAST_SCALARS) &&
                 !(reflected && op == power2)) {
            raw = reflected ? op(other, RAW(self)) : op(RAW(self), other);
            tried = 1;
        }
        if (raw != NULL) {
            return new_tensor(raw, backend);
        }
        if (tried) {  /* what the framework refuses, the backend's function may handle */
            PyErr_Clear();
        }
    }
    return PyObject_CallFunction(slow_binary, "sOOO", name, self, other, reflected ? Py_True : Py_False);
}

#define BINARY_SLOT(slot, name, op)                                  \
    static PyObject *slot(PyObject *left, PyObject *right)           \
    {                                                                \
        return binary_operator(name, op, left, right);               \
    }

BINARY_SLOT(core_add, "add", PyNumber_Add)
BINARY_SLOT(core_subtract, "subtract", PyNumber_Subtract)
BINARY_SLOT(core_multiply, "multiply", PyNumber_Multiply)
BINARY_SLOT(core_divide, "divide", PyNumber_TrueDivide)
BINARY_SLOT(core_floor_divide, "floor_divide", PyNumber_FloorDivide)
BINARY_SLOT(core_remainder, "remainder", PyNumber_Remainder)
BINARY_SLOT(core_matmul, "matmul", PyNumber_MatrixMultiply)
BINARY_SLOT(core_and, "bitwise_and", PyNumber_And)
BINARY_SLOT(core_or, "bitwise_or", PyNumber_Or)
BINARY_SLOT(core_xor, "bitwise_xor", PyNumber_Xor)
BINARY_SLOT(core_lshift, "bitwise_left_shift", PyNumber_Lshift)
BINARY_SLOT(core_rshift, "bitwise_right_shift", PyNumber_Rshift)

static PyObject *
core_power(PyObject *left, PyObject *right, PyObject *modulus)
{
    if (modulus != Py_None) {  /* pow(t, y, m): the standard has no modular power */
        Py_RETURN_NOTIMPLEMENTED;
    }
    return binary_operator("pow", power2, left, right);
}

#define COMPARISON(function, opid)                        \
    static PyObject *function(PyObject *a, PyObject *b)   \
    {                                                     \
        return PyObject_RichCompare(a, b, opid);          \
    }

COMPARISON(compare_lt, Py_LT)
COMPARISON(compare_le, Py_LE)
COMPARISON(compare_eq, Py_EQ)
COMPARISON(compare_ne, Py_NE)
COMPARISON(compare_gt, Py_GT)
COMPARISON(compare_ge, Py_GE)

static const struct {
    const char *name;
    binaryfunc_t op;
} COMPARISONS[] = {
    [Py_LT] = {"less", compare_lt}, [Py_LE] = {"less_equal", compare_le}, [Py_EQ] = {"equal", compare_eq},
    [Py_NE] = {"not_equal", compare_ne}, [Py_GT] = {"greater", compare_gt}, [Py_GE] = {"greater_equal", compare_ge},
};

/* Python calls tp_richcompare with a Tensor first (it swaps the operation for `1 < t`): never reflected */
static PyObject *
core_richcompare(PyObject *self, PyObject *other, int op)
{
    return binary_operator(COMPARISONS[op].name, COMPARISONS[op].op, self, other);
}

static PyObject *
unary_operator(const char *name, PyObject *(*op)(PyObject *), PyObject *self)
{
    if (IS_TENSOR(self)) {
        PyObject *raw = op(RAW(self));
        if (raw != NULL && raw != Py_NotImplemented) {
            return new_tensor(raw, BACKEND(self));
        }
        Py_XDECREF(raw);  /* Dask answers NotImplemented for a dtype it cannot take */
        PyErr_Clear();  /* the namespace function raises the standard's error */
    }
    return PyObject_CallFunction(slow_unary, "sO", name, self);
}

#define UNARY_SLOT(slot, name, op)                 \
    static PyObject *slot(PyObject *self)          \
    {                                              \
        return unary_operator(name, op, self);     \
    }

UNARY_SLOT(core_negative, "negative", PyNumber_Negative)
UNARY_SLOT(core_positive, "positive", PyNumber_Positive)
UNARY_SLOT(core_absolute, "abs", PyNumber_Absolute)
UNARY_SLOT(core_invert, "bitwise_invert", PyNumber_Invert)

static PyNumberMethods core_as_number = {
    .nb_add = core_add,
    .nb_subtract = core_subtract,
    .nb_multiply = core_multiply,
    .nb_remainder = core_remainder,
    .nb_power = core_power,
    .nb_negative = core_negative,
    .nb_positive = core_positive,
    .nb_absolute = core_absolute,
    .nb_invert = core_invert,
    .nb_lshift = core_lshift,
    .nb_rshift = core_rshift,
    .nb_and = core_and,
    .nb_xor = core_xor,
    .nb_or = core_or,
    .nb_floor_divide = core_floor_divide,
    .nb_true_divide = core_divide,
    .nb_matrix_multiply = core_matmul,
};

/* -- indexing ------------------------------------------------------------------ */

static int
is_plain_key_part(PyObject *key)
{
    return PyLong_CheckExact(key) || PySlice_Check(key) || key == Py_None || key == Py_Ellipsis;
}

/* int, slice, None, Ellipsis, or a tuple of those: keys that need no unwrapping or device check */
static int
is_plain_key(PyObject *key)
{
    if (is_plain_key_part(key)) {
        return 1;
    }
    if (!PyTuple_CheckExact(key)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(key); i++) {
        if (!is_plain_key_part(PyTuple_GET_ITEM(key, i))) {
            return 0;
        }
    }
    return 1;
}

/* Whether two native arrays are on one device, by their own .device attributes (NATIVE_DEVICES backends) */
static int
same_native_device(PyObject *a, PyObject *b)
{
    PyObject *da = PyObject_GetAttr(a, str_device);
    if (da == NULL) {
        PyErr_Clear();
        return 0;
    }
    PyObject *db = PyObject_GetAttr(b, str_device);
    if (db == NULL) {
        Py_DECREF(da);
        PyErr_Clear();
        return 0;
    }
    int same = PyObject_RichCompareBool(da, db, Py_EQ);
    Py_DECREF(da);
    Py_DECREF(db);
    if (same < 0) {
        PyErr_Clear();
        return 0;
    }
    return same;
}

static PyObject *
core_getitem(PyObject *self, PyObject *key)
{
    if (IS_TENSOR(self) && is_plain_key(key)) {
        PyObject *backend = BACKEND(self);
        BackendInfo info;
        if (get_info(backend, &info) < 0) {
            return NULL;
        }
        PyObject *raw = (info.flags & FAST_GETITEM)
            ? PyObject_GetItem(RAW(self), key)
            : PyObject_CallMethodObjArgs(backend, str_getitem, RAW(self), key, NULL);
        if (raw != NULL) {
            return new_tensor(raw, backend);
        }
        PyErr_Clear();  /* keys the framework rejects (torch's negative steps) take the slow path */
    }
    else if (IS_TENSOR(self) && IS_TENSOR(key) && BACKEND(key) == BACKEND(self)) {
        /* a mask or an index array of this backend, where no device check is needed */
        PyObject *backend = BACKEND(self);
        BackendInfo info;
        if (get_info(backend, &info) < 0) {
            return NULL;
        }
        if ((info.flags & ONE_DEVICE) ||
            ((info.flags & NATIVE_DEVICES) && same_native_device(RAW(self), RAW(key)))) {
            PyObject *raw = (info.flags & PLAIN_GETITEM)
                ? PyObject_GetItem(RAW(self), RAW(key))
                : PyObject_CallMethodObjArgs(backend, str_getitem, RAW(self), RAW(key), NULL);
            if (raw != NULL) {
                return new_tensor(raw, backend);
            }
            PyErr_Clear();
        }
    }
    return PyObject_CallFunctionObjArgs(slow_getitem, self, key, NULL);
}

static PyMappingMethods core_as_mapping = {
    .mp_subscript = core_getitem,
};

static PyMemberDef core_members[] = {
    {"_raw", T_OBJECT_EX, offsetof(CoreObject, raw), 0, "the native array"},
    {"_backend", T_OBJECT_EX, offsetof(CoreObject, backend), 0, "the Backend that owns it"},
    {"_node", T_OBJECT_EX, offsetof(CoreObject, node), 0, "the autodiff tape's node (Traced Tensors)"},
    {NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "unitensor._speedups.Core",
    .tp_doc = "The storage and operators of unitensor.Tensor, in C.",
    .tp_basicsize = sizeof(CoreObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_traverse = (traverseproc)core_traverse,
    .tp_clear = (inquiry)core_clear,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_weaklistoffset = offsetof(CoreObject, weakreflist),
    .tp_as_number = &core_as_number,
    .tp_as_mapping = &core_as_mapping,
    .tp_richcompare = core_richcompare,
    .tp_members = core_members,
};

/* -- Function: one namespace function ------------------------------------------ */

enum { UNARY, BINARY, ARRAY_FIRST, ARRAYS, ASTYPE, OTHER };

typedef struct {
    PyObject_HEAD
    int kind;           /* how the arguments are shaped (the enum above) */
    int promoted_from;  /* ARRAYS: the first array that takes part in promotion; -1: none do */
    PyObject *name;     /* the key of backend._functions */
    PyObject *slow;     /* the Python implementation, for every call the fast path does not take */
    PyObject *dict;     /* __name__, __doc__, __wrapped__, ... */
    vectorcallfunc vectorcall;
} FunctionObject;

#define MAX_FAST_ARGS 8

/* The backend's implementation of `f` (borrowed), or NULL when not yet looked up (no error set). */
static PyObject *
implementation(FunctionObject *f, BackendInfo *info)
{
    PyObject *impl = PyDict_GetItemWithError(info->functions, f->name);
    if (impl == NULL) {
        PyErr_Clear();
    }
    return impl;
}

/* Each fast_* returns the result, or NULL with no error set when the slow path must take the call. */

static PyObject *
fast_unary(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs != 1 || kwnames != NULL || !IS_TENSOR(args[0])) {
        return NULL;
    }
    PyObject *backend = BACKEND(args[0]);
    BackendInfo info;
    PyObject *impl;
    if (get_info(backend, &info) < 0 || (impl = implementation(f, &info)) == NULL) {
        return NULL;
    }
    return new_tensor(PyObject_CallOneArg(impl, RAW(args[0])), backend);
}

static PyObject *
fast_binary(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs != 2 || kwnames != NULL || !IS_TENSOR(args[0]) || !IS_TENSOR(args[1]) ||
        BACKEND(args[0]) != BACKEND(args[1])) {
        return NULL;
    }
    PyObject *backend = BACKEND(args[0]);
    BackendInfo info;
    PyObject *impl;
    if (get_info(backend, &info) < 0 || !(info.flags & FAST_BINARY) ||
        !promotes_directly(backend, info.flags, RAW(args[0]), RAW(args[1])) ||
        (impl = implementation(f, &info)) == NULL) {
        return NULL;
    }
    PyObject *raws[2] = {RAW(args[0]), RAW(args[1])};
    return new_tensor(PyObject_Vectorcall(impl, raws, 2, NULL), backend);
}

static int
names_dtype_or_device(PyObject *kwnames)
{
    if (kwnames == NULL) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_Compare(name, str_dtype) == 0 || PyUnicode_Compare(name, str_device) == 0) {
            return 1;
        }
    }
    return 0;
}

static PyObject *
fast_array_first(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t total = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    if (nargs < 1 || total > MAX_FAST_ARGS || !IS_TENSOR(args[0]) || names_dtype_or_device(kwnames)) {
        return NULL;
    }
    PyObject *backend = BACKEND(args[0]);
    BackendInfo info;
    PyObject *impl;
    if (get_info(backend, &info) < 0 || (impl = implementation(f, &info)) == NULL) {
        return NULL;
    }
    PyObject *stack[MAX_FAST_ARGS];
    stack[0] = RAW(args[0]);
    for (Py_ssize_t i = 1; i < total; i++) {
        stack[i] = args[i];
    }
    return new_tensor(PyObject_Vectorcall(impl, stack, nargs, kwnames), backend);
}

/* keyword values that need no conversion (axis=0, side="left") */
static int
is_plain_keyword_value(PyObject *value)
{
    return PyLong_CheckExact(value) || PyBool_Check(value) || PyUnicode_CheckExact(value) || value == Py_None;
}

static PyObject *
fast_arrays(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs < 1 || nargs + nkw > MAX_FAST_ARGS || !IS_TENSOR(args[0])) {
        return NULL;
    }
    PyObject *backend = BACKEND(args[0]);
    PyObject *stack[MAX_FAST_ARGS];
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (!IS_TENSOR(args[i]) || BACKEND(args[i]) != backend) {
            return NULL;
        }
        stack[i] = RAW(args[i]);
    }
    for (Py_ssize_t i = nargs; i < nargs + nkw; i++) {
        if (!is_plain_keyword_value(args[i])) {
            return NULL;
        }
        stack[i] = args[i];
    }
    BackendInfo info;
    if (get_info(backend, &info) < 0 || !(info.flags & FAST_BINARY)) {
        return NULL;
    }
    if (f->promoted_from >= 0) {
        for (Py_ssize_t i = f->promoted_from + 1; i < nargs; i++) {
            if (!promotes_directly(backend, info.flags, stack[f->promoted_from], stack[i])) {
                return NULL;
            }
        }
    }
    PyObject *impl = implementation(f, &info);
    if (impl == NULL) {
        return NULL;
    }
    return new_tensor(PyObject_Vectorcall(impl, stack, nargs, kwnames), backend);
}

/* astype(x, dtype[, copy=...]): the native dtype from the backend's table, when that is all native_dtype does */
static PyObject *
fast_astype(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *copy = Py_True;
    if (nargs != 2 || !IS_TENSOR(args[0]) || Py_TYPE(args[1]) != dtype_type) {
        return NULL;
    }
    if (kwnames != NULL) {
        if (PyTuple_GET_SIZE(kwnames) != 1 || PyUnicode_Compare(PyTuple_GET_ITEM(kwnames, 0), str_copy) != 0) {
            return NULL;
        }
        copy = args[2];
    }
    PyObject *backend = BACKEND(args[0]);
    BackendInfo info;
    PyObject *impl, *native;
    if (get_info(backend, &info) < 0 || !(info.flags & PLAIN_DTYPES) ||
        (impl = implementation(f, &info)) == NULL) {
        return NULL;
    }
    native = PyDict_GetItemWithError(info.to_native, args[1]);
    if (native == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *stack[3] = {RAW(args[0]), native, copy};
    return new_tensor(PyObject_Vectorcall(impl, stack, 2, kwnames_copy), backend);
}

static PyObject *
function_vectorcall(FunctionObject *f, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *result = NULL;
    switch (f->kind) {
    case UNARY: result = fast_unary(f, args, nargs, kwnames); break;
    case BINARY: result = fast_binary(f, args, nargs, kwnames); break;
    case ARRAY_FIRST: result = fast_array_first(f, args, nargs, kwnames); break;
    case ARRAYS: result = fast_arrays(f, args, nargs, kwnames); break;
    case ASTYPE: result = fast_astype(f, args, nargs, kwnames); break;
    default: break;
    }
    if (result != NULL) {
        return result;
    }
    /* the fast path did not apply, or the framework raised: the slow path checks and explains */
    PyErr_Clear();
    return PyObject_Vectorcall(f->slow, args, nargsf, kwnames);
}

static PyObject *
function_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"kind", "name", "slow", "promoted_from", NULL};
    int kind, promoted_from = -1;
    PyObject *name, *slow;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iUO|i:Function", keywords, &kind, &name, &slow,
                                     &promoted_from)) {
        return NULL;
    }
    if (kind < UNARY || kind > OTHER) {
        return PyErr_Format(PyExc_ValueError, "unknown function kind %d", kind);
    }
    if (!PyCallable_Check(slow)) {
        return PyErr_Format(PyExc_TypeError, "slow must be callable, not %.100s", Py_TYPE(slow)->tp_name);
    }
    FunctionObject *f = (FunctionObject *)type->tp_alloc(type, 0);
    if (f == NULL) {
        return NULL;
    }
    f->kind = kind;
    f->promoted_from = promoted_from;
    Py_INCREF(name);
    f->name = name;
    Py_INCREF(slow);
    f->slow = slow;
    f->vectorcall = (vectorcallfunc)function_vectorcall;
    return (PyObject *)f;
}

static int
function_traverse(FunctionObject *f, visitproc visit, void *arg)
{
    Py_VISIT(f->name);
    Py_VISIT(f->slow);
    Py_VISIT(f->dict);
    return 0;
}

static int
function_clear(FunctionObject *f)
{
    Py_CLEAR(f->name);
    Py_CLEAR(f->slow);
    Py_CLEAR(f->dict);
    return 0;
}

static void
function_dealloc(FunctionObject *f)
{
    PyObject_GC_UnTrack(f);
    function_clear(f);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyObject *
function_repr(FunctionObject *f)
{
    return PyUnicode_FromFormat("<unitensor function %U>", f->name);
}

static PyGetSetDef function_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict},
    {NULL},
};

static PyTypeObject FunctionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "unitensor._speedups.Function",
    .tp_doc = "Function(kind, name, slow, promoted_from=-1): an array API function with a C fast path.",
    .tp_basicsize = sizeof(FunctionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = function_new,
    .tp_traverse = (traverseproc)function_traverse,
    .tp_clear = (inquiry)function_clear,
    .tp_dealloc = (destructor)function_dealloc,
    .tp_repr = (reprfunc)function_repr,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(FunctionObject, vectorcall),
    .tp_dictoffset = offsetof(FunctionObject, dict),
    .tp_getset = function_getset,
};

/* -- module functions --------------------------------------------------------------- */

static PyObject *
configure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"tensor", "dtype", "slow_binary", "slow_unary", "slow_getitem", "fast_flags",
                               NULL};
    PyObject *tensor, *dtype, *binary, *unary, *getitem, *flags;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!OOOO:configure", keywords, &PyType_Type, &tensor,
                                     &PyType_Type, &dtype, &binary, &unary, &getitem, &flags)) {
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)tensor, &CoreType)) {
        return PyErr_Format(PyExc_TypeError, "configure() needs a subclass of Core, not %.100s",
                            ((PyTypeObject *)tensor)->tp_name);
    }
    Py_INCREF(tensor);
    Py_XSETREF(tensor_type, (PyTypeObject *)tensor);
    Py_INCREF(dtype);
    Py_XSETREF(dtype_type, (PyTypeObject *)dtype);
    Py_INCREF(binary);
    Py_XSETREF(slow_binary, binary);
    Py_INCREF(unary);
    Py_XSETREF(slow_unary, unary);
    Py_INCREF(getitem);
    Py_XSETREF(slow_getitem, getitem);
    Py_INCREF(flags);
    Py_XSETREF(fast_flags, flags);
    PyDict_Clear(backend_info);
    Py_RETURN_NONE;
}

static PyObject *
forget_backends(PyObject *module, PyObject *unused)
{
    PyDict_Clear(backend_info);
    Py_RETURN_NONE;
}

static PyObject *
wrap(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        return PyErr_Format(PyExc_TypeError, "wrap() takes (raw, backend), got %zd arguments", nargs);
    }
    if (tensor_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "unitensor._speedups is not configured yet");
        return NULL;
    }
    Py_INCREF(args[0]);
    return new_tensor(args[0], args[1]);
}

static PyMethodDef module_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(tensor, dtype, slow_binary, slow_unary, slow_getitem, fast_flags): connect to unitensor."},
    {"forget_backends", forget_backends, METH_NOARGS,
     "Drop the cached flags of every backend (read again from fast_flags() on next use)."},
    {"wrap", (PyCFunction)(void (*)(void))wrap, METH_FASTCALL,
     "wrap(raw, backend): a Tensor holding raw, without checks."},
    {NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "unitensor._speedups",
    .m_doc = "The Tensor's fast paths in C (optional: unitensor works without them).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&CoreType) < 0 || PyType_Ready(&FunctionType) < 0) {
        return NULL;
    }
    backend_info = PyDict_New();
    str_dtype = PyUnicode_InternFromString("dtype");
    str_standard_promotion = PyUnicode_InternFromString("standard_promotion");
    str_getitem = PyUnicode_InternFromString("getitem");
    str_copy = PyUnicode_InternFromString("copy");
    str_device = PyUnicode_InternFromString("device");
    kwnames_copy = str_copy ? PyTuple_Pack(1, str_copy) : NULL;
    if (!backend_info || !str_dtype || !str_standard_promotion || !str_getitem || !kwnames_copy || !str_device) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "Core", (PyObject *)&CoreType) < 0 ||
        PyModule_AddObjectRef(module, "Function", (PyObject *)&FunctionType) < 0 ||
        PyModule_AddIntConstant(module, "UNARY", UNARY) < 0 ||
        PyModule_AddIntConstant(module, "BINARY", BINARY) < 0 ||
        PyModule_AddIntConstant(module, "ARRAY_FIRST", ARRAY_FIRST) < 0 ||
        PyModule_AddIntConstant(module, "ARRAYS", ARRAYS) < 0 ||
        PyModule_AddIntConstant(module, "ASTYPE", ASTYPE) < 0 ||
        PyModule_AddIntConstant(module, "OTHER", OTHER) < 0 ||
        PyModule_AddIntConstant(module, "FAST_BINARY", FAST_BINARY) < 0 ||
        PyModule_AddIntConstant(module, "FAST_SCALARS", FAST_SCALARS) < 0 ||
        PyModule_AddIntConstant(module, "FAST_GETITEM", FAST_GETITEM) < 0 ||
        PyModule_AddIntConstant(module, "PLAIN_DTYPES", PLAIN_DTYPES) < 0 ||
        PyModule_AddIntConstant(module, "PROMOTION_KNOWN", PROMOTION_KNOWN) < 0 ||
        PyModule_AddIntConstant(module, "PROMOTES", PROMOTES) < 0 ||
        PyModule_AddIntConstant(module, "ONE_DEVICE", ONE_DEVICE) < 0 ||
        PyModule_AddIntConstant(module, "PLAIN_GETITEM", PLAIN_GETITEM) < 0 ||
        PyModule_AddIntConstant(module, "NATIVE_DEVICES", NATIVE_DEVICES) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
