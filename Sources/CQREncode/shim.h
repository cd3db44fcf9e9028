// libqrencode, from the system (Debian: libqrencode-dev). See Package.swift for when this module is used.
#include <qrencode.h>
