/* natskit._speedups: the compiled twin of the parser's hot loop.
 *
 * Scanner.scan(buf, pos, frames) parses complete MSG and HMSG frames of the
 * bytes `buf` from offset `pos`, appends each as the MsgFrame tuple
 * (subject, sid, reply, header, payload) to the list `frames`, and returns the
 * offset of the first frame it did not take. It takes only frames whose control
 * line is in the parser's fast form (upper-case op, single spaces, no tab, at
 * most MAX_CONTROL_LINE bytes, numbers of at most 18 digits, subject and reply
 * valid UTF-8) and whose payload and its CRLF are in `buf`; anything else (other
 * operations, partial frames, malformed input) it leaves, untouched, to the
 * pure-Python parser (natskit/_protocol/parser.py), which decodes that frame and
 * raises its ProtocolErrors. So it never raises a protocol error itself, and
 * every frame it makes is the one the Python code would make.
 *
 * Decoded control lines are remembered in a small direct-mapped cache: a stream
 * on one subject repeats the same line, and its subject str is then shared.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT_EX, READONLY (3.10 and 3.11 have no Py_ names) */
#include <string.h>

#define MAX_CONTROL_LINE 4096 /* as natskit._protocol.parser.MAX_CONTROL_LINE */
#define MAX_DIGITS 18         /* fits a long long; longer numbers go to Python */
#define SLOTS 128             /* cache entries; a power of two */

typedef struct {
    char *key; /* the control line, without CRLF; NULL: empty slot */
    Py_ssize_t keylen, keycap;
    PyObject *subject, *sid, *reply; /* reply: Py_None for MSG without one */
    Py_ssize_t total, hdr_len;       /* hdr_len -1: MSG */
} Entry;

typedef struct {
    PyObject_HEAD
    Entry cache[SLOTS];
} Scanner;

static void
entry_clear(Entry *e)
{
    Py_CLEAR(e->subject);
    Py_CLEAR(e->sid);
    Py_CLEAR(e->reply);
    e->keylen = -1;
}

static void
Scanner_dealloc(Scanner *self)
{
    for (int i = 0; i < SLOTS; i++) {
        entry_clear(&self->cache[i]);
        PyMem_Free(self->cache[i].key);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "Scanner() takes no arguments");
        return NULL;
    }
    Scanner *self = (Scanner *)type->tp_alloc(type, 0); /* zeroed */
    if (self != NULL) {
        for (int i = 0; i < SLOTS; i++)
            self->cache[i].keylen = -1;
    }
    return (PyObject *)self;
}

/* An ASCII decimal of 1..MAX_DIGITS digits into *out; 0 if it is not one. */
static int
parse_num(const char *s, Py_ssize_t n, long long *out)
{
    if (n < 1 || n > MAX_DIGITS)
        return 0;
    long long v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 1;
}

/* Strict UTF-8 (as bytes.decode()); NULL without an exception if it is not. */
static PyObject *
decode(const char *s, Py_ssize_t n)
{
    PyObject *text = PyUnicode_DecodeUTF8(s, n, NULL);
    if (text == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
        PyErr_Clear();
    return text;
}

/* Decode a MSG/HMSG line in the fast form into `e` (keeping its key buffer).
 * 1: done; 0: not in the fast form (left to Python); -1: an exception is set. */
static int
decode_line(const char *line, Py_ssize_t len, Entry *e)
{
    Py_ssize_t off;
    int hmsg;
    if (len > 4 && memcmp(line, "MSG ", 4) == 0) {
        off = 4;
        hmsg = 0;
    }
    else if (len > 5 && memcmp(line, "HMSG ", 5) == 0) {
        off = 5;
        hmsg = 1;
    }
    else
        return 0;
    if (memchr(line, '\t', len) != NULL)
        return 0;
    const char *tok[6];
    Py_ssize_t toklen[6];
    int n = 0;
    const char *p = line + off, *end = line + len;
    while (p <= end) { /* the words after the op, split at single spaces */
        const char *sp = memchr(p, ' ', end - p);
        const char *stop = sp ? sp : end;
        if (stop == p || n == 6)
            return 0; /* an empty word (two spaces, a trailing one), or too many */
        tok[n] = p;
        toklen[n++] = stop - p;
        p = stop + 1;
    }
    int words = n - hmsg; /* MSG: subject sid [reply] size; HMSG: ... hdr_len total */
    if (words != 3 && words != 4)
        return 0;
    long long sid, total, hdr_len = -1;
    if (!parse_num(tok[1], toklen[1], &sid) || !parse_num(tok[n - 1], toklen[n - 1], &total))
        return 0;
    if (hmsg && (!parse_num(tok[n - 2], toklen[n - 2], &hdr_len) || hdr_len > total))
        return 0;
    PyObject *subject = decode(tok[0], toklen[0]);
    if (subject == NULL)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *reply = Py_None;
    Py_INCREF(reply);
    if (words == 4) {
        Py_DECREF(reply);
        reply = decode(tok[2], toklen[2]);
        if (reply == NULL) {
            Py_DECREF(subject);
            return PyErr_Occurred() ? -1 : 0;
        }
    }
    PyObject *sid_obj = PyLong_FromLongLong(sid);
    if (sid_obj == NULL) {
        Py_DECREF(subject);
        Py_DECREF(reply);
        return -1;
    }
    entry_clear(e);
    e->subject = subject;
    e->reply = reply;
    e->sid = sid_obj;
    e->total = (Py_ssize_t)total;
    e->hdr_len = (Py_ssize_t)hdr_len;
    return 1;
}

/* The cache entry for `line`, decoded now if it is not there; NULL with no
 * exception set: not in the fast form. */
static Entry *
lookup(Scanner *self, const char *line, Py_ssize_t len)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)line[i]) * 1099511628211ULL;
    Entry *e = &self->cache[(h ^ (h >> 32)) & (SLOTS - 1)];
    if (e->keylen == len && memcmp(e->key, line, len) == 0)
        return e;
    if (decode_line(line, len, e) <= 0)
        return NULL;
    if (e->keycap < len) {
        char *key = PyMem_Realloc(e->key, len);
        if (key == NULL) {
            entry_clear(e);
            PyErr_NoMemory();
            return NULL;
        }
        e->key = key;
        e->keycap = len;
    }
    memcpy(e->key, line, len);
    e->keylen = len;
    return e;
}

static PyObject *
Scanner_scan(Scanner *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "scan(buf: bytes, pos: int, frames: list)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    if (!PyBytes_CheckExact(args[0]))
        return PyLong_FromSsize_t(pos); /* not bytes: all left to Python */
    PyObject *frames = args[2];
    const char *buf = PyBytes_AS_STRING(args[0]);
    Py_ssize_t end = PyBytes_GET_SIZE(args[0]);
    if (pos < 0 || pos > end) {
        PyErr_SetString(PyExc_ValueError, "scan: pos outside buf");
        return NULL;
    }
    while (pos < end) {
        Py_ssize_t room = end - pos;
        if (room > MAX_CONTROL_LINE + 2)
            room = MAX_CONTROL_LINE + 2;
        const char *nl = memchr(buf + pos, '\n', room);
        if (nl == NULL || nl == buf + pos || nl[-1] != '\r')
            break;
        Py_ssize_t len = nl - 1 - (buf + pos);
        Entry *e = lookup(self, buf + pos, len);
        if (e == NULL) {
            if (PyErr_Occurred())
                return NULL;
            break;
        }
        Py_ssize_t body = pos + len + 2;
        if (e->total > end - body - 2)
            break; /* the payload is still arriving */
        Py_ssize_t stop = body + e->total;
        if (buf[stop] != '\r' || buf[stop + 1] != '\n')
            break;
        PyObject *header, *payload;
        if (e->hdr_len < 0) {
            header = Py_None;
            Py_INCREF(header);
            payload = PyBytes_FromStringAndSize(buf + body, e->total);
        }
        else {
            header = PyBytes_FromStringAndSize(buf + body, e->hdr_len);
            if (header == NULL)
                return NULL;
            payload = PyBytes_FromStringAndSize(buf + body + e->hdr_len, e->total - e->hdr_len);
        }
        if (payload == NULL) {
            Py_DECREF(header);
            return NULL;
        }
        PyObject *frame = PyTuple_New(5);
        if (frame == NULL) {
            Py_DECREF(header);
            Py_DECREF(payload);
            return NULL;
        }
        Py_INCREF(e->subject);
        PyTuple_SET_ITEM(frame, 0, e->subject);
        Py_INCREF(e->sid);
        PyTuple_SET_ITEM(frame, 1, e->sid);
        Py_INCREF(e->reply);
        PyTuple_SET_ITEM(frame, 2, e->reply);
        PyTuple_SET_ITEM(frame, 3, header);
        PyTuple_SET_ITEM(frame, 4, payload);
        int failed = PyList_Append(frames, frame);
        Py_DECREF(frame);
        if (failed)
            return NULL;
        pos = stop + 2;
    }
    return PyLong_FromSsize_t(pos);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))Scanner_scan, METH_FASTCALL,
     "scan(buf, pos, frames) -> int: append the complete MSG/HMSG frames of buf\n"
     "from pos to frames; return the offset of the first frame not taken."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "natskit._speedups.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The compiled hot loop of one Parser (with its cache of control lines).",
    .tp_methods = Scanner_methods,
    .tp_new = Scanner_new,
};

/* -- MsgMaker: Msg.received without the interpreter ----------------------------- */

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
        PyObject *descr = PyObject_GetAttrString(cls, MSG_FIELDS[i]);
        if (descr == NULL)
            goto fail;
        int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type);
        if (ok) {
            PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
            ok = m->type == T_OBJECT_EX && !(m->flags & READONLY);
            self->offset[i] = m->offset;
        }
        Py_DECREF(descr);
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "MsgMaker: %s is not a writable slot", MSG_FIELDS[i]);
            goto fail;
        }
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

static PyMethodDef module_methods[] = {
    {"route", (PyCFunction)(void (*)(void))route, METH_FASTCALL,
     "route(frames, subs, make, link, with_headers, on_frame) -> (in_msgs, in_bytes):\n"
     "Router.handle's loop (natskit/_async/subscription.py), in C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "natskit._speedups",
    .m_doc = "Compiled twins of natskit's per-message hot paths (optional).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&ScannerType) < 0 || PyType_Ready(&MsgMakerType) < 0
        || PyType_Ready(&PubTemplateType) < 0)
        return NULL;
    if (!(str_max = PyUnicode_InternFromString("_max"))
        || !(str_on_reader = PyUnicode_InternFromString("_on_reader"))
        || !(str_deliver_special = PyUnicode_InternFromString("_deliver_special"))
        || !(str_count = PyUnicode_InternFromString("_count"))
        || !(str_enqueue = PyUnicode_InternFromString("_enqueue")))
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Scanner", (PyObject *)&ScannerType) < 0
        || PyModule_AddObjectRef(m, "MsgMaker", (PyObject *)&MsgMakerType) < 0
        || PyModule_AddObjectRef(m, "PubTemplate", (PyObject *)&PubTemplateType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
