// An error the CLI itself raises with a code, printed and exited on like the api's own
// (`NOT_FOUND: no function 'x' in namespace 'default'`, exit 1).
export class CliError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'CliError';
  }
}
