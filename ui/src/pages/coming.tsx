// A tab whose page is not part of the dashboard yet: it says what will be there.
export function ComingPage({ what }: { what: string }) {
  return (
    <section className="card coming">
      <h2>Not here yet</h2>
      <p>{what}</p>
    </section>
  );
}
