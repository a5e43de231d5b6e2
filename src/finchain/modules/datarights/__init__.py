"""datarights module: data assets, time-boxed grants, revocation and a record of every access."""
