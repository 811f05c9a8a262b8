import { PageHeading } from '../../components/forms';

export function DiscardRequests() {
  return (
    <section>
      <PageHeading>Discard requests</PageHeading>
    </section>
  );
}
