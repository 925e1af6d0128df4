/* mbmsctl decrypt-dcf: open a DCF of MBMS download offline, for field debugging. */
#pragma once

int mbmsctl_decrypt_dcf (int argc, char **argv);
