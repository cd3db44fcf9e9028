// libxml2's SAX2 interface, from the system (Debian: libxml2-dev). See Package.swift for when this module is used.
#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, whose headers would clash with the ICU inside Foundation. Only the layout of the
// encoding handler's struct depends on it, which is never used here (only pointers to it).
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/SAX2.h>
