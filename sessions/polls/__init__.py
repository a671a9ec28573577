"""Anonymous polls: the ballot box, answers counted in batches, results shown only above k."""
