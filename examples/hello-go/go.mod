module hello

go 1.23
