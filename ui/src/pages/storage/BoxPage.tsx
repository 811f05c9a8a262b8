import { PageHeading } from '../../components/forms';

export function BoxPage({ boxId }: { boxId: string }) {
  return (
    <section>
      <PageHeading>Box {boxId}</PageHeading>
    </section>
  );
}
