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
 *
 * Memory safety. Reading a dtype (JAX's ArrayImpl.dtype is a Python property),
 * a plugin's standard_promotion, or calling the framework runs Python code,
 * and Python code may rebind a Tensor's slots (`y += 1` on JAX, in this thread
 * or another) and free what they held. So a fast path never keeps a pointer
 * read from a slot: take_parts() takes strong references to a Tensor's array
 * and backend first, and every table entry it uses (get_info's flags, the
 * backend's function, a native dtype) is a strong reference too, all released
 * when the call is done. The slots are never NULL in a Tensor made by
 * unitensor (_raw and _backend cannot be deleted: core_setattro), and a
 * Tensor allocated without them takes the slow path instead of crashing.
 * Each fast path takes exactly the arguments its slow path accepts (ARRAYS
 * functions check their arity) and hands everything else over.
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

static PyObject *str_dtype, *str_standard_promotion, *str_getitem, *str_copy, *str_device, *str_raw, *str_backend;
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
    PyObject *entry;      /* strong: what fast_flags() returned, kept alive while in use */
    PyObject *functions;  /* backend._functions, held by entry */
    PyObject *to_native;  /* backend._to_native, held by entry */
} BackendInfo;

/* The cached flags of `backend` (a strong reference the caller holds); -1 with an exception on failure.
 * On success the caller releases them with release_info(). */
static int
get_info(PyObject *backend, BackendInfo *info)
{
    PyObject *entry = PyDict_GetItemWithError(backend_info, backend);  /* may run a plugin's __hash__ */
    if (entry != NULL) {
        Py_INCREF(entry);  /* forget_backends() or configure() may drop it from the dict while we use it */
    }
    else {
        if (PyErr_Occurred()) {
            return -1;
        }
        entry = PyObject_CallOneArg(fast_flags, backend);
        if (entry == NULL) {
            return -1;
        }
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3 || !PyLong_CheckExact(PyTuple_GET_ITEM(entry, 0)) ||
            !PyDict_CheckExact(PyTuple_GET_ITEM(entry, 1)) || !PyDict_CheckExact(PyTuple_GET_ITEM(entry, 2))) {
            Py_DECREF(entry);
            PyErr_SetString(PyExc_TypeError, "fast_flags() must return (int, dict, dict)");
            return -1;
        }
        if (PyDict_SetItem(backend_info, backend, entry) < 0) {
            Py_DECREF(entry);
            return -1;
        }
    }
    info->flags = PyLong_AsLong(PyTuple_GET_ITEM(entry, 0));  /* an exact int: no Python code runs */
    if (info->flags == -1 && PyErr_Occurred()) {
        Py_DECREF(entry);
        return -1;
    }
    info->entry = entry;
    info->functions = PyTuple_GET_ITEM(entry, 1);
    info->to_native = PyTuple_GET_ITEM(entry, 2);
    return 0;
}

static void
release_info(BackendInfo *info)
{
    Py_CLEAR(info->entry);
}

/* -- Core: the Tensor's storage ---------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *raw;
    PyObject *backend;
    PyObject *node;
    PyObject *weakreflist;
} CoreObject;

/* Read these only through take_parts(): the slots may be NULL (a Tensor allocated without data), and
 * any call into Python (a dtype property, a plugin's standard_promotion, another thread's `y += 1`)
 * may rebind them and free what they held. */
#define RAW(t) (((CoreObject *)(t))->raw)
#define BACKEND(t) (((CoreObject *)(t))->backend)
#define IS_TENSOR(x) (tensor_type != NULL && Py_TYPE(x) == tensor_type)

/* Strong references to Tensor `t`'s array and backend: 1, or 0 (both NULL) when `t` holds no data. The
 * fast paths work on these, never on the slots, and release them with Py_DECREF when done. */
static int
take_parts(PyObject *t, PyObject **raw, PyObject **backend)
{
    PyObject *r = RAW(t), *b = BACKEND(t);
    if (r == NULL || b == NULL) {
        *raw = *backend = NULL;
        return 0;
    }
    Py_INCREF(r);
    Py_INCREF(b);
    *raw = r;
    *backend = b;
    return 1;
}

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

/* _raw and _backend may be rebound (in-place writes on immutable backends do) but not deleted */
static int
core_setattro(PyObject *self, PyObject *name, PyObject *value)
{
    if (value == NULL && PyUnicode_Check(name) &&
        (PyUnicode_Compare(name, str_raw) == 0 || PyUnicode_Compare(name, str_backend) == 0)) {
        PyErr_Format(PyExc_AttributeError, "cannot delete %U: a Tensor always holds an array and its backend",
                     name);
        return -1;
    }
    return PyObject_GenericSetAttr(self, name, value);
}

/* Whether the framework may combine `a` and `b` (strong references) directly: equal dtypes, or a
 * framework that promotes as the standard does. 1 yes, 0 no (errors cleared: the slow path meets them
 * again). Reading a dtype or the backend's standard_promotion may run Python code. */
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
    if (db == NULL) {
        Py_DECREF(da);
        PyErr_Clear();
        return 0;
    }
    int same = da == db;  /* compared while both are alive: a freed dtype's address may be reused */
    Py_DECREF(da);
    Py_DECREF(db);
    if (same) {
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

/* The fast path of `self OP other`: the result, or NULL (no error set) when the slow path must take the
 * call, or NULL with an error when the backend's flags cannot be read. */
static PyObject *
fast_operator(binaryfunc_t op, PyObject *self, PyObject *other, int reflected)
{
    PyObject *raw, *backend, *other_raw = NULL, *other_backend = NULL, *out = NULL, *result = NULL;
    BackendInfo info = {0};
    int tried = 0;
    if (!IS_TENSOR(self) || !take_parts(self, &raw, &backend)) {
        return NULL;
    }
    if (get_info(backend, &info) < 0) {
        goto done;
    }
    if (!reflected && IS_TENSOR(other)) {
        if ((info.flags & FAST_BINARY) && take_parts(other, &other_raw, &other_backend) &&
            other_backend == backend && promotes_directly(backend, info.flags, raw, other_raw)) {
            out = op(raw, other_raw);
            tried = 1;
        }
    }
    /* scalar ** Tensor takes the slow path: JAX would promote the Python int strongly (int64) */
    else if ((PyLong_CheckExact(other) || PyFloat_CheckExact(other)) && (info.flags & FAST_SCALARS) &&
             !(reflected && op == power2)) {
        out = reflected ? op(other, raw) : op(raw, other);
        tried = 1;
    }
    if (out != NULL) {
        result = new_tensor(out, backend);
    }
    else if (tried) {  /* what the framework refuses, the backend's function may handle */
        PyErr_Clear();
    }
done:
    release_info(&info);
    Py_XDECREF(other_raw);
    Py_XDECREF(other_backend);
    Py_DECREF(raw);
    Py_DECREF(backend);
    return result;
}

/* `left OP right` as Python calls it: the Tensor among them is `self`, reflected when it is on the right */
static PyObject *
binary_operator(const char *name, binaryfunc_t op, PyObject *left, PyObject *right)
{
    int reflected = tensor_type == NULL || !PyObject_TypeCheck(left, tensor_type);
    PyObject *self = reflected ? right : left;
    PyObject *other = reflected ? left : right;
    PyObject *result = fast_operator(op, self, other, reflected);
    if (result != NULL || PyErr_Occurred()) {
        return result;
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
    PyObject *raw, *backend;
    if (IS_TENSOR(self) && take_parts(self, &raw, &backend)) {
        PyObject *out = op(raw);
        PyObject *result = NULL;
        if (out == Py_NotImplemented) {  /* Dask answers NotImplemented for a dtype it cannot take */
            Py_CLEAR(out);
        }
        else {
            result = new_tensor(out, backend);
        }
        Py_DECREF(raw);
        Py_DECREF(backend);
        if (result != NULL) {
            return result;
        }
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

/* backend.getitem(raw, key) or raw[key]: a new reference, or NULL with an error */
static PyObject *
index_native(PyObject *backend, int plain, PyObject *raw, PyObject *key)
{
    return plain ? PyObject_GetItem(raw, key) : PyObject_CallMethodObjArgs(backend, str_getitem, raw, key, NULL);
}

/* The fast path of self[key]: the result, or NULL (no error set) for the slow path, or NULL with an
 * error when the backend's flags cannot be read. */
static PyObject *
fast_getitem(PyObject *self, PyObject *key)
{
    PyObject *raw, *backend, *key_raw = NULL, *key_backend = NULL, *out = NULL, *result = NULL;
    BackendInfo info = {0};
    if (!IS_TENSOR(self) || !take_parts(self, &raw, &backend)) {
        return NULL;
    }
    if (is_plain_key(key)) {
        if (get_info(backend, &info) < 0) {
            goto done;
        }
        out = index_native(backend, info.flags & FAST_GETITEM, raw, key);
    }
    else if (IS_TENSOR(key) && take_parts(key, &key_raw, &key_backend) && key_backend == backend) {
        /* a mask or an index array of this backend, where no device check is needed */
        if (get_info(backend, &info) < 0) {
            goto done;
        }
        if ((info.flags & ONE_DEVICE) ||
            ((info.flags & NATIVE_DEVICES) && same_native_device(raw, key_raw))) {
            out = index_native(backend, info.flags & PLAIN_GETITEM, raw, key_raw);
        }
    }
    if (out != NULL) {
        result = new_tensor(out, backend);
    }
    else {
        PyErr_Clear();  /* keys the framework rejects (torch's negative steps) take the slow path */
    }
done:
    release_info(&info);
    Py_XDECREF(key_raw);
    Py_XDECREF(key_backend);
    Py_DECREF(raw);
    Py_DECREF(backend);
    return result;
}

static PyObject *
core_getitem(PyObject *self, PyObject *key)
{
    PyObject *result = fast_getitem(self, key);
    if (result != NULL || PyErr_Occurred()) {
        return result;
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
    .tp_setattro = core_setattro,
};

/* -- Function: one namespace function ------------------------------------------ */

enum { UNARY, BINARY, ARRAY_FIRST, ARRAYS, ASTYPE, OTHER };

typedef struct {
    PyObject_HEAD
    int kind;           /* how the arguments are shaped (the enum above) */
    int promoted_from;  /* ARRAYS: the first array that takes part in promotion; -1: none do */
    int arity;          /* ARRAYS: how many arrays it takes positionally (the slow path checks it) */
    PyObject *name;     /* the key of backend._functions */
    PyObject *slow;     /* the Python implementation, for every call the fast path does not take */
    PyObject *dict;     /* __name__, __doc__, __wrapped__, ... */
    vectorcallfunc vectorcall;
} FunctionObject;

#define MAX_FAST_ARGS 8

/* The backend's implementation of `f` (a new reference), or NULL when not yet looked up (no error set). */
static PyObject *
implementation(FunctionObject *f, BackendInfo *info)
{
    PyObject *impl = PyDict_GetItemWithError(info->functions, f->name);
    if (impl == NULL) {
        PyErr_Clear();
    }
    Py_XINCREF(impl);  /* the call may run code that replaces it in the dict */
    return impl;
}

/* impl(*stack[:nargs], **kwnames) of `backend` wrapped in a Tensor; releases impl */
static PyObject *
call_and_wrap(PyObject *impl, PyObject *const *stack, Py_ssize_t nargs, PyObject *kwnames, PyObject *backend)
{
    PyObject *result = new_tensor(PyObject_Vectorcall(impl, stack, nargs, kwnames), backend);
    Py_DECREF(impl);
    return result;
}

/* Each fast_* returns the result, or NULL when the slow path must take the call (errors are cleared by
 * the caller). They hold strong references to every array and backend they use: see take_parts(). */

static PyObject *
fast_unary(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *raw, *backend, *impl, *result = NULL;
    BackendInfo info = {0};
    if (nargs != 1 || kwnames != NULL || !IS_TENSOR(args[0]) || !take_parts(args[0], &raw, &backend)) {
        return NULL;
    }
    if (get_info(backend, &info) == 0 && (impl = implementation(f, &info)) != NULL) {
        result = call_and_wrap(impl, &raw, 1, NULL, backend);
    }
    release_info(&info);
    Py_DECREF(raw);
    Py_DECREF(backend);
    return result;
}

static PyObject *
fast_binary(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *raws[2] = {NULL, NULL}, *backends[2] = {NULL, NULL}, *impl, *result = NULL;
    BackendInfo info = {0};
    if (nargs != 2 || kwnames != NULL || !IS_TENSOR(args[0]) || !IS_TENSOR(args[1])) {
        return NULL;
    }
    if (take_parts(args[0], &raws[0], &backends[0]) && take_parts(args[1], &raws[1], &backends[1]) &&
        backends[0] == backends[1] && get_info(backends[0], &info) == 0 && (info.flags & FAST_BINARY) &&
        promotes_directly(backends[0], info.flags, raws[0], raws[1]) && (impl = implementation(f, &info)) != NULL) {
        result = call_and_wrap(impl, raws, 2, NULL, backends[0]);
    }
    release_info(&info);
    for (int i = 0; i < 2; i++) {
        Py_XDECREF(raws[i]);
        Py_XDECREF(backends[i]);
    }
    return result;
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
    PyObject *raw, *backend, *impl, *result = NULL;
    BackendInfo info = {0};
    Py_ssize_t total = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    if (nargs < 1 || total > MAX_FAST_ARGS || !IS_TENSOR(args[0]) || names_dtype_or_device(kwnames) ||
        !take_parts(args[0], &raw, &backend)) {
        return NULL;
    }
    if (get_info(backend, &info) == 0 && (impl = implementation(f, &info)) != NULL) {
        PyObject *stack[MAX_FAST_ARGS];
        stack[0] = raw;
        for (Py_ssize_t i = 1; i < total; i++) {
            stack[i] = args[i];  /* the caller holds these for the call */
        }
        result = call_and_wrap(impl, stack, nargs, kwnames, backend);
    }
    release_info(&info);
    Py_DECREF(raw);
    Py_DECREF(backend);
    return result;
}

/* keyword values that need no conversion (axis=0, side="left") */
static int
is_plain_keyword_value(PyObject *value)
{
    return PyLong_CheckExact(value) || PyBool_Check(value) || PyUnicode_CheckExact(value) || value == Py_None;
}

/* the raws of `tensors` (all plain Tensors of `backend`): strong references in stack[0:n]; n taken */
static Py_ssize_t
take_raws(PyObject *const *tensors, Py_ssize_t n, PyObject *backend, PyObject **stack)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *raw = IS_TENSOR(tensors[i]) && BACKEND(tensors[i]) == backend ? RAW(tensors[i]) : NULL;
        if (raw == NULL) {
            return i;
        }
        Py_INCREF(raw);
        stack[i] = raw;
    }
    return n;
}

static PyObject *
fast_arrays(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *stack[MAX_FAST_ARGS], *backend, *impl, *result = NULL;
    BackendInfo info = {0};
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if ((f->arity >= 0 && nargs != f->arity) || nargs < 1 || nargs + nkw > MAX_FAST_ARGS ||
        !IS_TENSOR(args[0]) || (backend = BACKEND(args[0])) == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = nargs; i < nargs + nkw; i++) {
        if (!is_plain_keyword_value(args[i])) {
            return NULL;
        }
        stack[i] = args[i];  /* the caller holds these for the call */
    }
    Py_INCREF(backend);
    Py_ssize_t taken = take_raws(args, nargs, backend, stack);
    if (taken == nargs && get_info(backend, &info) == 0 && (info.flags & FAST_BINARY)) {
        int direct = 1;
        for (Py_ssize_t i = f->promoted_from + 1; f->promoted_from >= 0 && i < nargs && direct; i++) {
            direct = promotes_directly(backend, info.flags, stack[f->promoted_from], stack[i]);
        }
        if (direct && (impl = implementation(f, &info)) != NULL) {
            result = call_and_wrap(impl, stack, nargs, kwnames, backend);
        }
    }
    release_info(&info);
    for (Py_ssize_t i = 0; i < taken; i++) {
        Py_DECREF(stack[i]);
    }
    Py_DECREF(backend);
    return result;
}

/* astype(x, dtype[, copy=...]): the native dtype from the backend's table, when that is all native_dtype does */
static PyObject *
fast_astype(FunctionObject *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *raw, *backend, *impl = NULL, *native = NULL, *result = NULL, *copy = Py_True;
    BackendInfo info = {0};
    if (nargs != 2 || !IS_TENSOR(args[0]) || dtype_type == NULL || Py_TYPE(args[1]) != dtype_type) {
        return NULL;
    }
    if (kwnames != NULL) {
        if (PyTuple_GET_SIZE(kwnames) != 1 || PyUnicode_Compare(PyTuple_GET_ITEM(kwnames, 0), str_copy) != 0) {
            return NULL;
        }
        copy = args[2];
    }
    if (!take_parts(args[0], &raw, &backend)) {
        return NULL;
    }
    if (get_info(backend, &info) == 0 && (info.flags & PLAIN_DTYPES) && (impl = implementation(f, &info)) != NULL) {
        native = PyDict_GetItemWithError(info.to_native, args[1]);  /* may run DType.__hash__ */
        if (native != NULL) {
            Py_INCREF(native);
            PyObject *stack[3] = {raw, native, copy};
            result = call_and_wrap(impl, stack, 2, kwnames_copy, backend);
            impl = NULL;  /* released by call_and_wrap */
            Py_DECREF(native);
        }
    }
    Py_XDECREF(impl);
    release_info(&info);
    Py_DECREF(raw);
    Py_DECREF(backend);
    return result;
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
    static char *keywords[] = {"kind", "name", "slow", "promoted_from", "arity", NULL};
    int kind, promoted_from = -1, arity = -1;
    PyObject *name, *slow;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iUO|ii:Function", keywords, &kind, &name, &slow,
                                     &promoted_from, &arity)) {
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
    f->arity = arity;
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
    .tp_doc = "Function(kind, name, slow, promoted_from=-1, arity=-1): an array API function with a C fast path.",
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
    str_raw = PyUnicode_InternFromString("_raw");
    str_backend = PyUnicode_InternFromString("_backend");
    kwnames_copy = str_copy ? PyTuple_Pack(1, str_copy) : NULL;
    if (!backend_info || !str_dtype || !str_standard_promotion || !str_getitem || !kwnames_copy || !str_device || !str_raw ||
        !str_backend) {
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
