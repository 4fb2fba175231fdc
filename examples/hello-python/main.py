import json
import os

payload = json.loads(os.environ.get('FUNCTION_PAYLOAD', '{}'))
result = {'message': f'Hello, {payload.get("name", "World")}!'}
print(json.dumps(result))
