module github.com/nash-gan/nash

go 1.26
