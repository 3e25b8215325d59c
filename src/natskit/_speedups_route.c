/* natskit._speedups.route: the loop of Router.handle (natskit/_async/subscription.py),
 * and Delivery: Subscription._enqueue's common case for the route to do itself. */
#include "_speedups.h"

static PyObject *str_max, *str_on_reader, *str_deliver_special, *str_count, *str_enqueue;
static PyObject *str_schedule, *str_put_nowait;
static PyTypeObject *deque_type; /* collections.deque */
static PyCFunction deque_append; /* its append (METH_O) */

/* Call the method `name` of `self` with `arg` (and `arg2` if not NULL). */
static int
call_method(PyObject *name, PyObject *self, PyObject *arg, PyObject *arg2)
{
    PyObject *args[3] = {self, arg, arg2};
    size_t n = (arg2 ? 3 : 2) | PY_VECTORCALL_ARGUMENTS_OFFSET;
    PyObject *result = PyObject_VectorcallMethod(name, args, n, NULL);
    Py_XDECREF(result);
    return result == NULL ? -1 : 0;
}

/* Hand `sub` the message `msg` of `size` bytes as Router.handle does: natskit's
   own reader callback if it has one, else _deliver_special with max_msgs set,
   else the count and _enqueue. */
static int
deliver(PyObject *sub, PyObject *msg, PyObject *size)
{
    PyObject *result, *value = PyObject_GetAttr(sub, str_on_reader);
    if (value == NULL)
        return -1;
    if (value != Py_None) { /* request replies, acks */
        result = PyObject_CallOneArg(value, msg);
        Py_DECREF(value);
        Py_XDECREF(result);
        return result == NULL ? -1 : 0;
    }
    Py_DECREF(value);
    if ((value = PyObject_GetAttr(sub, str_max)) == NULL)
        return -1;
    int special = PyObject_IsTrue(value);
    Py_DECREF(value);
    if (special < 0)
        return -1;
    if (special)
        return call_method(str_deliver_special, sub, msg, size);
    PyObject *count = PyObject_GetAttr(sub, str_count);
    if (count == NULL)
        return -1;
    PyObject *one = PyLong_FromLong(1);
    PyObject *more = one ? PyNumber_InPlaceAdd(count, one) : NULL;
    Py_DECREF(count);
    Py_XDECREF(one);
    if (more == NULL)
        return -1;
    int failed = PyObject_SetAttr(sub, str_count, more);
    Py_DECREF(more);
    return failed ? -1 : call_method(str_enqueue, sub, msg, size);
}

/* -- Delivery: the slots of one Subscription class, for deliver_known --------- */

enum { ON_READER, MAX, COUNT, IN_MSGS, OUT_MSGS, MSGS_CAP, IN_BYTES, OUT_BYTES, BYTES_CAP,
       SLOW, CALLBACK, PENDING, SCHEDULED, LANES, DISPATCHER, QUEUE, NSLOTS };
static const char *const SUB_SLOTS[NSLOTS] = {
    "_on_reader", "_max",       "_count", "_in_msgs",    "_out_msgs", "_msgs_cap",
    "_in_bytes",  "_out_bytes", "_bytes_cap", "_slow",   "_callback", "_pending",
    "_scheduled", "_lanes",     "_dispatcher", "_queue"};

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    Py_ssize_t offset[NSLOTS];
} Delivery;

#define SLOT(d, sub, i) (*(PyObject **)((char *)(sub) + (d)->offset[i]))

static void
Delivery_dealloc(Delivery *self)
{
    Py_XDECREF(self->cls);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Delivery_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *cls;
    if ((kwds && PyDict_GET_SIZE(kwds)) || !PyArg_ParseTuple(args, "O!:Delivery", &PyType_Type, &cls))
        return NULL;
    Delivery *self = (Delivery *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->cls = (PyTypeObject *)Py_NewRef(cls);
    for (int i = 0; i < NSLOTS; i++) {
        if (natskit_slot_offset(cls, SUB_SLOTS[i], &self->offset[i]) < 0) {
            Py_DECREF(self);
            return NULL;
        }
    }
    return (PyObject *)self;
}

static PyTypeObject DeliveryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "natskit._speedups.Delivery",
    .tp_basicsize = sizeof(Delivery),
    .tp_dealloc = (destructor)Delivery_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Delivery(cls): route's compiled _enqueue for instances of exactly cls.",
    .tp_new = Delivery_new,
};

/* The value of an exact int slot in 0..LLONG_MAX into *out; 0 if it is not one. */
static int
small_count(PyObject *value, long long *out)
{
    int overflow;
    if (value == NULL || !PyLong_CheckExact(value))
        return 0;
    *out = PyLong_AsLongLongAndOverflow(value, &overflow);
    return !overflow && *out >= 0;
}

/* Subscription._enqueue where it only queues: under the pending limits, no
   lanes, each slot it reads set and of its usual type. 1: done; 0: nothing
   done, left to the Python method; -1: an exception is set. Nothing it
   does before the first effect runs Python code, so it decides on what the
   Python method would see, and its effects come in that method's order. */
static int
enqueue_known(Delivery *d, PyObject *sub, PyObject *msg, Py_ssize_t size)
{
    long long in_msgs, out_msgs, msgs_cap, in_bytes, out_bytes, bytes_cap;
    if (!small_count(SLOT(d, sub, IN_MSGS), &in_msgs)
        || !small_count(SLOT(d, sub, OUT_MSGS), &out_msgs)
        || !small_count(SLOT(d, sub, MSGS_CAP), &msgs_cap)
        || !small_count(SLOT(d, sub, IN_BYTES), &in_bytes)
        || !small_count(SLOT(d, sub, OUT_BYTES), &out_bytes)
        || !small_count(SLOT(d, sub, BYTES_CAP), &bytes_cap))
        return 0;
    if (in_msgs - out_msgs >= msgs_cap || in_bytes - out_bytes > bytes_cap - size)
        return 0; /* over the limits: dropped, and reported, in Python */
    if (in_msgs == LLONG_MAX || in_bytes > LLONG_MAX - size)
        return 0;
    PyObject *callback = SLOT(d, sub, CALLBACK), *lanes = SLOT(d, sub, LANES);
    if (callback == NULL || lanes != Py_None)
        return 0;
    if (callback != Py_None) {
        PyObject *pending = SLOT(d, sub, PENDING);
        if (deque_append == NULL || pending == NULL || !Py_IS_TYPE(pending, deque_type)
            || SLOT(d, sub, SCHEDULED) == NULL || SLOT(d, sub, DISPATCHER) == NULL)
            return 0;
    }
    else if (SLOT(d, sub, QUEUE) == NULL)
        return 0;
    PyObject *msgs = PyLong_FromLongLong(in_msgs + 1);
    PyObject *bytes = msgs ? PyLong_FromLongLong(in_bytes + size) : NULL;
    if (bytes == NULL) {
        Py_XDECREF(msgs);
        return -1;
    }
    Py_XSETREF(SLOT(d, sub, SLOW), Py_NewRef(Py_False));
    Py_SETREF(SLOT(d, sub, IN_MSGS), msgs);
    Py_SETREF(SLOT(d, sub, IN_BYTES), bytes);
    if (callback == Py_None)
        return call_method(str_put_nowait, SLOT(d, sub, QUEUE), msg, NULL) < 0 ? -1 : 1;
    PyObject *done = deque_append(SLOT(d, sub, PENDING), msg);
    if (done == NULL)
        return -1;
    Py_DECREF(done);
    int scheduled = PyObject_IsTrue(SLOT(d, sub, SCHEDULED));
    if (scheduled < 0)
        return -1;
    if (scheduled) /* a worker has it (and no lanes to wake) */
        return 1;
    PyObject *dispatcher = Py_NewRef(SLOT(d, sub, DISPATCHER));
    int failed = call_method(str_schedule, dispatcher, sub, NULL);
    Py_DECREF(dispatcher);
    return failed ? -1 : 1;
}

/* deliver() for an instance of exactly d->cls: the same reads, writes and
   calls, the slots read directly, and _enqueue's common case done here. */
static int
deliver_known(Delivery *d, PyObject *sub, PyObject *msg, Py_ssize_t size)
{
    PyObject *on_reader = SLOT(d, sub, ON_READER), *max = SLOT(d, sub, MAX);
    PyObject *count = SLOT(d, sub, COUNT), *size_obj = NULL;
    int special, failed;
    if (on_reader == NULL || max == NULL || count == NULL || !PyLong_CheckExact(count)
        || (on_reader == Py_None && !PyLong_CheckExact(max)))
        goto generic; /* the reads above have no effects: deliver() does them again */
    if (on_reader != Py_None) { /* request replies, acks */
        Py_INCREF(on_reader);
        PyObject *result = PyObject_CallOneArg(on_reader, msg);
        Py_DECREF(on_reader);
        Py_XDECREF(result);
        return result == NULL ? -1 : 0;
    }
    special = PyObject_IsTrue(max); /* an int: runs no Python code */
    if (!special) {
        PyObject *one = PyLong_FromLong(1); /* a cached small int */
        PyObject *more = PyNumber_InPlaceAdd(count, one);
        Py_DECREF(one);
        if (more == NULL)
            return -1;
        Py_SETREF(SLOT(d, sub, COUNT), more);
        int done = enqueue_known(d, sub, msg, size);
        if (done != 0)
            return done < 0 ? -1 : 0;
    }
    if ((size_obj = PyLong_FromSsize_t(size)) == NULL)
        return -1;
    failed = call_method(special ? str_deliver_special : str_enqueue, sub, msg, size_obj);
    Py_DECREF(size_obj);
    return failed;
generic:
    if ((size_obj = PyLong_FromSsize_t(size)) == NULL)
        return -1;
    failed = deliver(sub, msg, size_obj);
    Py_DECREF(size_obj);
    return failed;
}

/* -- route ------------------------------------------------------------------------ */

/* One frame: a MsgFrame to its subscription, anything else to on_frame. */
static int
route_one(PyObject *frame, PyObject *const *args, Py_ssize_t *in_msgs, Py_ssize_t *in_bytes)
{
    PyObject *subs = args[1], *make = args[2], *link = args[3];
    PyObject *with_headers = args[4], *on_frame = args[5], *delivery = args[6];
    if (!PyTuple_CheckExact(frame)) { /* MsgFrame is the one plain tuple */
        PyObject *result = PyObject_CallOneArg(on_frame, frame);
        Py_XDECREF(result);
        return result == NULL ? -1 : 0;
    }
    if (PyTuple_GET_SIZE(frame) != 5) {
        PyErr_SetString(PyExc_ValueError, "route: a MSG frame has 5 fields");
        return -1;
    }
    PyObject *subject = PyTuple_GET_ITEM(frame, 0), *sid = PyTuple_GET_ITEM(frame, 1);
    PyObject *reply = PyTuple_GET_ITEM(frame, 2), *header = PyTuple_GET_ITEM(frame, 3);
    PyObject *payload = PyTuple_GET_ITEM(frame, 4);
    Py_ssize_t size = PyObject_Size(payload), hsize = 0;
    if (size < 0 || (header != Py_None && (hsize = PyObject_Size(header)) < 0))
        return -1;
    *in_msgs += 1;
    *in_bytes += size + hsize; /* headers count in the connection's bytes, not in pending */
    PyObject *sub = PyDict_GetItemWithError(subs, sid);
    if (sub == NULL)
        return PyErr_Occurred() ? -1 : 0;
    Py_INCREF(sub); /* the calls below may drop it from subs */
    PyObject *msg;
    if (header == Py_None) {
        PyObject *margs[4] = {subject, payload, reply, link};
        msg = PyObject_Vectorcall(make, margs, 4, NULL);
    }
    else {
        PyObject *hargs[4] = {subject, payload, reply, header};
        msg = PyObject_Vectorcall(with_headers, hargs, 4, NULL);
    }
    int failed = msg == NULL;
    if (!failed && Py_IS_TYPE(delivery, &DeliveryType)
        && Py_IS_TYPE(sub, ((Delivery *)delivery)->cls))
        failed = deliver_known((Delivery *)delivery, sub, msg, size) < 0;
    else if (!failed) {
        PyObject *size_obj = PyLong_FromSsize_t(size);
        failed = size_obj == NULL || deliver(sub, msg, size_obj) < 0;
        Py_XDECREF(size_obj);
    }
    Py_XDECREF(msg);
    Py_DECREF(sub);
    return failed ? -1 : 0;
}

/* route(frames, subs, make, link, with_headers, on_frame, delivery) -> (in_msgs, in_bytes);
   delivery: a Delivery for the usual Subscription class, or None */
static PyObject *
route(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7 || !PyList_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "route(frames: list, subs: dict, make, link, "
                                         "with_headers, on_frame, delivery)");
        return NULL;
    }
    (void)module;
    Py_ssize_t in_msgs = 0, in_bytes = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(args[0]); i++) {
        PyObject *frame = PyList_GET_ITEM(args[0], i);
        Py_INCREF(frame);
        int failed = route_one(frame, args, &in_msgs, &in_bytes);
        Py_DECREF(frame);
        if (failed)
            return NULL;
    }
    return Py_BuildValue("nn", in_msgs, in_bytes);
}

static PyMethodDef route_methods[] = {
    {"route", (PyCFunction)(void (*)(void))route, METH_FASTCALL,
     "route(frames, subs, make, link, with_headers, on_frame, delivery)\n"
     "-> (in_msgs, in_bytes):\n"
     "Router.handle's loop (natskit/_async/subscription.py), in C."},
    {NULL, NULL, 0, NULL},
};

/* deque.append's C function, if it is the METH_O method it has been (else NULL:
   then callback subscriptions take the Python _enqueue). */
static int
find_deque_append(void)
{
    PyObject *collections = PyImport_ImportModule("collections");
    PyObject *deque = collections ? PyObject_GetAttrString(collections, "deque") : NULL;
    Py_XDECREF(collections);
    if (deque == NULL)
        return -1;
    if (!PyType_Check(deque)) {
        Py_DECREF(deque);
        return 0;
    }
    deque_type = (PyTypeObject *)deque; /* kept */
    PyObject *append = PyObject_GetAttrString(deque, "append");
    if (append == NULL)
        return -1;
    if (Py_IS_TYPE(append, &PyMethodDescr_Type)) {
        PyMethodDef *def = ((PyMethodDescrObject *)append)->d_method;
        if (def->ml_flags == METH_O)
            deque_append = def->ml_meth; /* the descriptor stays on deque_type */
    }
    Py_DECREF(append);
    return 0;
}

int
natskit_add_route(PyObject *module)
{
    if (!(str_max = PyUnicode_InternFromString("_max"))
        || !(str_on_reader = PyUnicode_InternFromString("_on_reader"))
        || !(str_deliver_special = PyUnicode_InternFromString("_deliver_special"))
        || !(str_count = PyUnicode_InternFromString("_count"))
        || !(str_enqueue = PyUnicode_InternFromString("_enqueue"))
        || !(str_schedule = PyUnicode_InternFromString("schedule"))
        || !(str_put_nowait = PyUnicode_InternFromString("put_nowait")))
        return -1;
    if (find_deque_append() < 0 || PyType_Ready(&DeliveryType) < 0
        || PyModule_AddObjectRef(module, "Delivery", (PyObject *)&DeliveryType) < 0)
        return -1;
    return PyModule_AddFunctions(module, route_methods);
}
