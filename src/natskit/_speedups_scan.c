/* natskit._speedups.Scanner: the compiled twin of the parser's hot loop.
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
#include "_speedups.h"

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

int
natskit_add_scanner(PyObject *module)
{
    if (PyType_Ready(&ScannerType) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Scanner", (PyObject *)&ScannerType);
}
