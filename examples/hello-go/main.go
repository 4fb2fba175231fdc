package main

import (
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	var payload struct {
		Name string `json:"name"`
	}
	if raw := os.Getenv("FUNCTION_PAYLOAD"); raw != "" {
		_ = json.Unmarshal([]byte(raw), &payload)
	}
	if payload.Name == "" {
		payload.Name = "World"
	}
	out, _ := json.Marshal(map[string]string{"message": fmt.Sprintf("Hello, %s!", payload.Name)})
	fmt.Println(string(out))
}
