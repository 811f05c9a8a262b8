import { PageHeading } from '../../components/forms';

export function PrintingPage() {
  return (
    <section>
      <PageHeading>Printing</PageHeading>
    </section>
  );
}
