"""Build-time tools (not used at run time): the generator of the Word templates."""
