"""What an interrupted command says and exits with: a leaf, so that the import-free entry
point (:mod:`cli.entry`) and the commands (:mod:`cli.common`) share it without importing each
other."""

#: The one line of an interrupted command (:func:`cli.common.say_interrupted` prints it too).
INTERRUPTED_LINE = "dihentikan; jalankan lagi untuk melanjutkan"
#: Its exit status, the shell's for SIGINT.
EXIT_INTERRUPTED = 130
