/* natskit._speedups: MsgMaker (MsgBase.received, setting the slots directly)
 * and PubTemplate (the publish fast path's `%`-format). */
#include "_speedups.h"

/* -- MsgMaker: Msg.received without the interpreter ----------------------------- */

int
natskit_slot_offset(PyObject *cls, const char *name, Py_ssize_t *offset)
{
    PyObject *descr = PyObject_GetAttrString(cls, name);
    if (descr == NULL)
        return -1;
    int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type);
    if (ok) {
        PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
        ok = m->type == T_OBJECT_EX && !(m->flags & READONLY);
        *offset = m->offset;
    }
    Py_DECREF(descr);
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a writable slot", ((PyTypeObject *)cls)->tp_name, name);
        return -1;
    }
    return 0;
}

/* The slots that MsgBase.received sets, in its argument order. */
static const char *const MSG_FIELDS[] = {"subject", "data", "reply", "_link",
                                         "_headers", "status", "description"};
#define NFIELDS 7

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    Py_ssize_t offset[NFIELDS]; /* of each slot in an instance */
    PyObject *empty;            /* "", the default description */
} MsgMaker;

static void
MsgMaker_dealloc(MsgMaker *self)
{
    Py_XDECREF(self->cls);
    Py_XDECREF(self->empty);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
MsgMaker_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *cls;
    if ((kwds && PyDict_GET_SIZE(kwds)) || !PyArg_ParseTuple(args, "O!:MsgMaker", &PyType_Type, &cls))
        return NULL;
    MsgMaker *self = (MsgMaker *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->cls = (PyTypeObject *)Py_NewRef(cls);
    self->empty = PyUnicode_New(0, 0);
    if (self->empty == NULL)
        goto fail;
    if (self->cls->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_SetString(PyExc_TypeError, "MsgMaker: the class must be made by object.__new__");
        goto fail;
    }
    for (int i = 0; i < NFIELDS; i++) {
        if (natskit_slot_offset(cls, MSG_FIELDS[i], &self->offset[i]) < 0)
            goto fail;
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

/* maker(subject, data, reply, link, headers=None, status=None, description="") */
static PyObject *
MsgMaker_call(MsgMaker *self, PyObject *args, PyObject *kwds)
{
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if ((kwds && PyDict_GET_SIZE(kwds)) || n < 4 || n > NFIELDS) {
        PyErr_SetString(PyExc_TypeError,
                        "MsgMaker(subject, data, reply, link[, headers, status, description])");
        return NULL;
    }
    PyObject *msg = self->cls->tp_alloc(self->cls, 0);
    if (msg == NULL)
        return NULL;
    for (int i = 0; i < NFIELDS; i++) {
        PyObject *value = i < n ? PyTuple_GET_ITEM(args, i) : i == 6 ? self->empty : Py_None;
        PyObject **slot = (PyObject **)((char *)msg + self->offset[i]);
        Py_XSETREF(*slot, Py_NewRef(value));
    }
    return msg;
}

static PyTypeObject MsgMakerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "natskit._speedups.MsgMaker",
    .tp_basicsize = sizeof(MsgMaker),
    .tp_dealloc = (destructor)MsgMaker_dealloc,
    .tp_call = (ternaryfunc)MsgMaker_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "MsgMaker(cls): a callable that does what cls.received does, in C.",
    .tp_new = MsgMaker_new,
};

/* -- PubTemplate: the publish fast path's format ---------------------------------- */

/* PubTemplate(b"PUB <subject> ") % (size, payload) is
 * b"PUB <subject> %d\r\n%b\r\n" % (size, payload) for an int size >= 0 and a
 * bytes payload, built with one allocation and two copies. */
typedef struct {
    PyObject_HEAD
    PyObject *head; /* bytes */
} PubTemplate;

static void
PubTemplate_dealloc(PubTemplate *self)
{
    Py_XDECREF(self->head);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
PubTemplate_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *head;
    if ((kwds && PyDict_GET_SIZE(kwds))
        || !PyArg_ParseTuple(args, "O!:PubTemplate", &PyBytes_Type, &head))
        return NULL;
    PubTemplate *self = (PubTemplate *)type->tp_alloc(type, 0);
    if (self != NULL)
        self->head = Py_NewRef(head);
    return (PyObject *)self;
}

static PyTypeObject PubTemplateType;

static PyObject *
PubTemplate_format(PyObject *self, PyObject *args)
{
    if (!Py_IS_TYPE(self, &PubTemplateType) || !PyTuple_CheckExact(args)
        || PyTuple_GET_SIZE(args) != 2 || !PyLong_CheckExact(PyTuple_GET_ITEM(args, 0))
        || !PyBytes_CheckExact(PyTuple_GET_ITEM(args, 1)))
        Py_RETURN_NOTIMPLEMENTED;
    Py_ssize_t size = PyLong_AsSsize_t(PyTuple_GET_ITEM(args, 0));
    if (size < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "PubTemplate: a negative size");
        return NULL;
    }
    PyObject *head = ((PubTemplate *)self)->head, *payload = PyTuple_GET_ITEM(args, 1);
    char digits[24], *d = digits + sizeof digits; /* filled from the end */
    do {
        *--d = (char)('0' + size % 10);
        size /= 10;
    } while (size);
    Py_ssize_t ndigits = digits + sizeof digits - d;
    Py_ssize_t nhead = PyBytes_GET_SIZE(head), npayload = PyBytes_GET_SIZE(payload);
    PyObject *cmd = PyBytes_FromStringAndSize(NULL, nhead + ndigits + npayload + 4);
    if (cmd == NULL)
        return NULL;
    char *p = PyBytes_AS_STRING(cmd);
    memcpy(p, PyBytes_AS_STRING(head), nhead);
    p += nhead;
    memcpy(p, d, ndigits);
    p += ndigits;
    *p++ = '\r';
    *p++ = '\n';
    memcpy(p, PyBytes_AS_STRING(payload), npayload);
    p += npayload;
    *p++ = '\r';
    *p = '\n';
    return cmd;
}

static PyNumberMethods PubTemplate_as_number = {
    .nb_remainder = PubTemplate_format,
};

static PyObject *
PubTemplate_repr(PubTemplate *self)
{
    return PyUnicode_FromFormat("PubTemplate(%R)", self->head);
}

static PyTypeObject PubTemplateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "natskit._speedups.PubTemplate",
    .tp_basicsize = sizeof(PubTemplate),
    .tp_dealloc = (destructor)PubTemplate_dealloc,
    .tp_repr = (reprfunc)PubTemplate_repr,
    .tp_as_number = &PubTemplate_as_number,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "PubTemplate(head) % (size, payload): the PUB of a payload, in C.",
    .tp_new = PubTemplate_new,
};

int
natskit_add_makers(PyObject *module)
{
    if (PyType_Ready(&MsgMakerType) < 0 || PyType_Ready(&PubTemplateType) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "MsgMaker", (PyObject *)&MsgMakerType) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "PubTemplate", (PyObject *)&PubTemplateType);
}
