module caisson.local/runtime-api

go 1.19
