/* natskit._speedups: what its C files share (each file adds its part to the module). */
#ifndef NATSKIT_SPEEDUPS_H
#define NATSKIT_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT_EX, READONLY (3.10 and 3.11 have no Py_ names) */
#include <string.h>

/* Each returns 0, or -1 with an exception set. */
int natskit_add_scanner(PyObject *module);  /* _speedups_scan.c: Scanner */
int natskit_add_makers(PyObject *module);   /* _speedups_msg.c: MsgMaker, PubTemplate */
int natskit_add_route(PyObject *module);    /* _speedups_route.c: route, Delivery */

/* The offset of the writable object slot `name` of the class `cls` (as
   __slots__ makes it): 0; -1 with AttributeError if cls has no `name`, TypeError
   if that is not such a slot. */
int natskit_slot_offset(PyObject *cls, const char *name, Py_ssize_t *offset);

#endif
