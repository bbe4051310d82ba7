/** Children answer the parent's "report" message with their counters. */
export function answerReports(report: () => unknown): void {
  process.on('message', (m) => {
    if (m === 'report') process.send!(report());
  });
  process.on('SIGTERM', () => process.exit(0));
}
