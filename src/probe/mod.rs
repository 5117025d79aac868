//! Reachability probing: the sweeper task, ICMP (surge-ping) and TCP-connect probes.
