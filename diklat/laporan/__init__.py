"""Reports and hand-overs: compliance, JP and participant reports, where a training stands,
the operators' work list, the SRIKANDI packages. Imports the core, personnel, trainings and
letters; nothing imports it but the layers above."""
