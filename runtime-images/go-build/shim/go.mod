module caisson.local/shim

go 1.19
