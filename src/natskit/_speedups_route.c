/* natskit._speedups.route: the loop of Router.handle (natskit/_async/subscription.py). */
#include "_speedups.h"

/* -- route: Router.handle's loop --------------------------------------------------- */

static PyObject *str_max, *str_on_reader, *str_deliver_special, *str_count, *str_enqueue;

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
    PyObject *call[3] = {sub, msg, size};
    if (special)
        result = PyObject_VectorcallMethod(str_deliver_special, call,
                                           3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    else {
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
        if (failed)
            return -1;
        result = PyObject_VectorcallMethod(str_enqueue, call, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                           NULL);
    }
    Py_XDECREF(result);
    return result == NULL ? -1 : 0;
}

/* One frame: a MsgFrame to its subscription, anything else to on_frame. */
static int
route_one(PyObject *frame, PyObject *const *args, Py_ssize_t *in_msgs, Py_ssize_t *in_bytes)
{
    PyObject *subs = args[1], *make = args[2], *link = args[3];
    PyObject *with_headers = args[4], *on_frame = args[5];
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
    PyObject *size_obj = msg ? PyLong_FromSsize_t(size) : NULL;
    int failed = size_obj == NULL || deliver(sub, msg, size_obj) < 0;
    Py_XDECREF(size_obj);
    Py_XDECREF(msg);
    Py_DECREF(sub);
    return failed ? -1 : 0;
}

/* route(frames, subs, make, link, with_headers, on_frame) -> (in_msgs, in_bytes) */
static PyObject *
route(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyList_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "route(frames: list, subs: dict, make, link, with_headers, on_frame)");
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
     "route(frames, subs, make, link, with_headers, on_frame) -> (in_msgs, in_bytes):\n"
     "Router.handle's loop (natskit/_async/subscription.py), in C."},
    {NULL, NULL, 0, NULL},
};

int
natskit_add_route(PyObject *module)
{
    if (!(str_max = PyUnicode_InternFromString("_max"))
        || !(str_on_reader = PyUnicode_InternFromString("_on_reader"))
        || !(str_deliver_special = PyUnicode_InternFromString("_deliver_special"))
        || !(str_count = PyUnicode_InternFromString("_count"))
        || !(str_enqueue = PyUnicode_InternFromString("_enqueue")))
        return -1;
    return PyModule_AddFunctions(module, route_methods);
}
