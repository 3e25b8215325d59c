/* natskit._speedups: compiled twins of natskit's per-message hot paths.
 *
 * Optional (setup.py builds it where it can; natskit._accel decides whether it
 * is used), and each piece has a pure-Python twin that stays the reference:
 *   _speedups_scan.c   Scanner: the parser's MSG/HMSG loop, with a line cache
 *   _speedups_msg.c    MsgMaker (MsgBase.received) and PubTemplate (the PUB format)
 *   _speedups_route.c  route: the loop of Router.handle, with Subscription._enqueue's
 *                      common case (Delivery)
 * This file only makes the module and lets each of them add its part.
 */
#include "_speedups.h"

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "natskit._speedups",
    .m_doc = "Compiled twins of natskit's per-message hot paths (optional).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (natskit_add_scanner(m) < 0 || natskit_add_makers(m) < 0 || natskit_add_route(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
